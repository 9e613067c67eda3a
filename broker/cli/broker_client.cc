#include "broker/cli/broker_client.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "broker/cli/flags.h"

namespace icb {

using nlohmann::json;

void BrokerConnection::AddFlags(CLI::App& sub) {
  sub.add_option("--broker", broker, "the running broker's base URL")->type_name("URL")->capture_default_str();
  sub.add_option("--token-file", token_file, "a file holding the API key (else ICBROKER_TOKEN)")->check(ExistingFile())->type_name("FILE");
  sub.add_option("--cacert", cacert, "PEM CAs an https:// broker must chain to (default: the system's)")->check(ExistingFile())->type_name("FILE");
}

std::unique_ptr<HttpClient> BrokerConnection::Open(const std::string& command) {
  if (const char* env = std::getenv("ICBROKER_TOKEN")) token = env;
  if (!token_file.empty()) {
    auto read = ReadTokenFile(token_file);
    if (!read.ok()) {
      PrintStatus("icbroker " + command + ": ", read.status());
      return nullptr;
    }
    token = *read;
  }
  while (!broker.empty() && broker.back() == '/') broker.pop_back();
  return NewCpprestHttpClient(cacert);
}

HttpClientRequest BrokerConnection::Request(const std::string& method, const std::string& path) const {
  HttpClientRequest r;
  r.method = method;
  r.url = broker + path;
  if (method != "GET") r.headers.emplace_back("Content-Type", "application/json");
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  return r;
}

std::string ProblemText(const HttpClientResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
  std::string out = "HTTP " + std::to_string(r.status) + ": " + j.value("title", "") + (j.contains("detail") ? ": " + j.value("detail", "") : "");
  for (const auto& e : j.value("errors", json::array())) out += "\n  at " + e.value("pointer", "") + ": " + e.value("message", "");
  return out;
}

}  // namespace icb
