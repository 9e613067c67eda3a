// The OpenAPI description tells the truth: every answer the e2e tests
// received (recorded by HttpCall in ICB_E2E_ANSWERS) has a documented status
// for its operation, and its body matches that response's schema. ctest runs
// it after the e2e tests (a fixture, tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include <zlib.h>

#include "broker/schema/validator.h"
#include "tests/support/http_client.h"

namespace icb {
namespace {

using nlohmann::json;

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Gunzip(const std::string& in) {
  z_stream z{};
  inflateInit2(&z, 16 + MAX_WBITS);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  return out;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(path);
  for (std::string seg; std::getline(ss, seg, '/');)
    if (!seg.empty()) out.push_back(seg);
  return out;
}

// The documented path template a request path falls under.
std::string Template(const json& paths, const std::string& path) {
  auto segs = Split(path.substr(0, path.find('?')));
  for (const auto& [tmpl, _] : paths.items()) {
    auto t = Split(tmpl);
    if (t.size() != segs.size()) continue;
    bool match = true;
    for (size_t i = 0; i < t.size() && match; ++i) match = (t[i].front() == '{') || t[i] == segs[i];
    if (match) return tmpl;
  }
  return "";
}

TEST(OpenApiContract, EveryAnswerTheE2eTestsReceivedIsDocumented) {
  const std::string dir = std::string(ICB_SOURCE_DIR) + "/schemas";
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files[e.path().filename().string()] = Slurp(e.path());
  files["openapi/openapi.json"] = Slurp(dir + "/openapi/openapi.json");
  json api = json::parse(files["openapi/openapi.json"]);
  EXPECT_EQ(api["openapi"], "3.1.0");
  EXPECT_FALSE(api["servers"].empty());

  // Every response schema in the description compiles with the broker's own validator.
  std::vector<std::string> roots;
  for (const auto& [tmpl, item] : api["paths"].items())
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || !op.contains("responses")) continue;
      for (const auto& [status, resp] : op["responses"].items()) {
        if (status == "204") {
          EXPECT_FALSE(resp.contains("content")) << method << " " << tmpl << " 204 has no content";
          continue;
        }
        ASSERT_TRUE(resp.contains("content")) << method << " " << tmpl << " " << status << " has no schema";
        for (const auto& [type, media] : resp["content"].items()) {
          ASSERT_TRUE(media.contains("schema")) << method << " " << tmpl << " " << status << " " << type;
          roots.push_back("openapi/openapi.json#" + json::json_pointer("/paths").to_string() + "/" +
                          JsonPointer({tmpl, method, "responses", status, "content", type, "schema"}).substr(1));
        }
      }
    }
  auto schemas = SchemaSet::LoadRoots(files, roots);
  ASSERT_TRUE(schemas.ok()) << schemas.status().ToString();

  const char* file = std::getenv("ICB_E2E_ANSWERS");
  ASSERT_TRUE(file && *file) << "run it with ctest (ctest -R e2e): it checks what the e2e tests received, recorded in ICB_E2E_ANSWERS";
  const auto answers = testing::AnswersFromFile(file);
  ASSERT_GE(answers.size(), 50u) << "the contract test checks what the other e2e tests received; run them first (ctest -L e2e)";
  std::set<std::string> checked;
  int validated = 0;
  for (const auto& a : answers) {
    if (a.reply.status == 0) continue;  // no answer (a broker being killed)
    std::string tmpl = Template(api["paths"], a.path);
    std::string method = a.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string what = a.method + " " + a.path.substr(0, 120) + " -> " + std::to_string(a.reply.status);
    if (tmpl.empty()) {
      EXPECT_EQ(a.reply.status, 404) << what << ": undocumented paths must be 404";
      continue;
    }
    const json& item = api["paths"][tmpl];
    if (!item.contains(method)) {
      EXPECT_EQ(a.reply.status, 405) << what << ": undocumented methods must be 405";
      continue;
    }
    const json& responses = item[method]["responses"];
    std::string status = std::to_string(a.reply.status);
    ASSERT_TRUE(responses.contains(status)) << what << ": status not documented for " << a.method << " " << tmpl;
    std::string type = a.reply.headers.count("content-type") ? a.reply.headers.at("content-type") : "";
    type = type.substr(0, type.find(';'));
    if (status == "204") {
      EXPECT_TRUE(a.reply.body.empty() && type.empty()) << what << ": a 204 has no body and no content type";
      checked.insert(a.method + " " + tmpl + " " + status);
      continue;
    }
    ASSERT_TRUE(responses[status]["content"].contains(type)) << what << ": content type " << type << " not documented";
    checked.insert(a.method + " " + tmpl + " " + status);
    if (type.find("json") == std::string::npos) continue;
    bool gzipped = a.reply.headers.count("content-encoding") && a.reply.headers.at("content-encoding") == "gzip";
    auto body = ParseJson(gzipped ? Gunzip(a.reply.body) : a.reply.body);
    ASSERT_TRUE(body.ok()) << what << ": " << body.status().ToString();
    std::string root = "openapi/openapi.json#" + json::json_pointer("/paths").to_string() + "/" +
                       JsonPointer({tmpl, method, "responses", status, "content", type, "schema"}).substr(1);
    Status s = (*schemas)->Validate(root, *body);
    EXPECT_TRUE(s.ok()) << what << ": " << s.ToString() << "\n" << a.reply.body.substr(0, 400);
    ++validated;
  }
  EXPECT_GE(validated, 50);
  std::string seen;
  for (const auto& c : checked) seen += c + "\n";
  std::printf("contract: %d answers validated, %zu distinct operation/status pairs:\n%s", validated, checked.size(), seen.c_str());
}

}  // namespace
}  // namespace icb
