// What the commands that talk to a running broker (migrate, drill) share:
// where it is, the API key they send (ICBROKER_TOKEN or --token-file: a
// key on the command line would be in the process list and the shell
// history), the CAs an https:// broker must chain to, and a refusal in
// words.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "broker/core/http_client.h"

namespace icb {

struct BrokerConnection {
  std::string broker = "http://127.0.0.1:8080";
  std::string token_file, cacert;
  std::string token;  // read by Open

  // --broker, --token-file and --cacert on `sub`.
  void AddFlags(CLI::App& sub);
  // Reads the key (ICBROKER_TOKEN, then --token-file) and trims the URL;
  // the client to send with. A refused token file is printed under
  // `command` and null returned.
  std::unique_ptr<HttpClient> Open(const std::string& command);
  // A request to `path` (from "/v1/..."), with the key.
  HttpClientRequest Request(const std::string& method, const std::string& path) const;
};

// "HTTP 404: Not Found: ..." with each error's pointer, from a problem answer.
std::string ProblemText(const HttpClientResponse& r);

}  // namespace icb
