#include "adapters/azure/azure_blob_store.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include <nlohmann/json.hpp>

#include "broker/core/crypto.h"
#include "adapters/common/storage.h"
#include "adapters/common/xml.h"
#include "adapters/s3/sigv4.h"

namespace icb {

namespace {

constexpr const char* kApiVersion = "2021-12-02";

std::string Rfc1123(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string Header(const std::map<std::string, std::string>& h, const std::string& name) {
  auto it = h.find(name);
  return it == h.end() ? "" : it->second;
}

}  // namespace

std::string SharedKeyStringToSign(const SharedKeyRequest& r, const std::string& account) {
  std::string length = Header(r.headers, "Content-Length");
  if (length == "0") length.clear();  // versions from 2015-02-21 sign an empty length for zero
  std::string s = r.method + "\n" + Header(r.headers, "Content-Encoding") + "\n" + Header(r.headers, "Content-Language") + "\n" + length + "\n" +
                  Header(r.headers, "Content-MD5") + "\n" + Header(r.headers, "Content-Type") + "\n" + Header(r.headers, "Date") + "\n" +
                  Header(r.headers, "If-Modified-Since") + "\n" + Header(r.headers, "If-Match") + "\n" + Header(r.headers, "If-None-Match") + "\n" +
                  Header(r.headers, "If-Unmodified-Since") + "\n" + Header(r.headers, "Range") + "\n";
  for (const auto& [k, v] : r.headers)  // std::map: x-ms-* sorted by name
    if (k.rfind("x-ms-", 0) == 0) s += k + ":" + v + "\n";
  s += "/" + account + r.encoded_path;
  for (const auto& [k, v] : r.query) s += "\n" + k + ":" + v;
  return s;
}

std::string SharedKeyAuthorization(const SharedKeyRequest& r, const std::string& account, const std::string& key_base64) {
  std::string key;
  if (!Base64Decode(key_base64, key)) return "";
  return "SharedKey " + account + ":" + Base64(HmacSha256(key, SharedKeyStringToSign(r, account)));
}

namespace {

class AzureBlobStore final : public ObjectStore {
 public:
  AzureBlobStore(AzureBlobConfig config, AdapterContext& ctx) : cfg_(std::move(config)), clock_(ctx.clock), caller_(ctx.http, cfg_.retry, ctx.sleep) {}

  Status EnsureContainer() override {
    return Call("PUT", "", {{"restype", "container"}}, "", "azure create container " + cfg_.container, {}, [](int s) { return s == 409; }).status();
  }

  Result<ObjectPage> List(std::string_view prefix, std::string_view token, int max_keys) override {
    std::map<std::string, std::string> q = {{"restype", "container"}, {"comp", "list"}, {"maxresults", std::to_string(max_keys)}};
    if (!prefix.empty()) q["prefix"] = std::string(prefix);
    if (!token.empty()) q["marker"] = std::string(token);
    ICB_ASSIGN_OR_RETURN(auto resp, Call("GET", "", q, "", "azure list " + cfg_.container));
    return ParseAzureListPage(resp.body);
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(auto resp, Call("HEAD", key, {}, "", "azure head " + std::string(key)));
    return ObjectInfoFromHead(key, resp);
  }

  Status Get(std::string_view key, const ByteSink& sink) override {
    ICB_ASSIGN_OR_RETURN(ObjectInfo info, Head(key));
    std::string what = "azure get " + std::string(key);
    return RangedGet(what, info.size, cfg_.block_size, [&](uint64_t first, uint64_t last, bool whole) -> Result<std::string> {
      std::map<std::string, std::string> range;
      if (!whole) range["x-ms-range"] = "bytes=" + std::to_string(first) + "-" + std::to_string(last);
      ICB_ASSIGN_OR_RETURN(auto resp, Call("GET", key, {}, "", what, range));
      return std::move(resp.body);
    }, sink);
  }

  Status Put(std::string_view key, ByteSource& source, uint64_t size) override {
    std::string data;
    if (size <= cfg_.block_threshold) {
      ICB_RETURN_IF_ERROR(ReadExactly(source, size, data));
      return Call("PUT", key, {}, data, "azure put " + std::string(key),
                  {{"x-ms-blob-type", "BlockBlob"}, {"Content-Type", "application/octet-stream"}, {"Content-MD5", Base64(Md5(data))}})
          .status();
    }
    // Staged blocks become the blob only when the block list is committed:
    // a failure part-way leaves the old blob (or none) in place.
    ICB_ASSIGN_OR_RETURN(std::string upload, StartParts(key));
    std::vector<std::string> ids;
    for (uint64_t at = 0; at < size; at += cfg_.block_size) {
      ICB_RETURN_IF_ERROR(ReadExactly(source, std::min(cfg_.block_size, size - at), data));
      ICB_ASSIGN_OR_RETURN(auto id, PutPart(key, upload, static_cast<int>(ids.size() + 1), data));
      ids.push_back(std::move(id));
    }
    return CompleteParts(key, upload, ids);
  }

  Status GetRange(std::string_view key, uint64_t offset, uint64_t length, const ByteSink& sink) override {
    std::string what = "azure get " + std::string(key);
    for (uint64_t at = offset; at < offset + length; at += cfg_.block_size) {
      uint64_t last = std::min(offset + length, at + cfg_.block_size) - 1;
      ICB_ASSIGN_OR_RETURN(auto resp, Call("GET", key, {}, "", what, {{"x-ms-range", "bytes=" + std::to_string(at) + "-" + std::to_string(last)}}));
      if (resp.body.size() != last - at + 1) return Unavailable(what + ": asked for " + std::to_string(last - at + 1) + " bytes, got " + std::to_string(resp.body.size()));
      ICB_RETURN_IF_ERROR(sink(resp.body));
    }
    return Status::Ok();
  }

  uint64_t PartSize() const override { return cfg_.block_size; }

  // An upload is a random tag in its blocks' ids: blocks staged under it
  // stay uncommitted at the service (for up to a week) until the block list
  // names them, so a resumed copy stages only the blocks it has not got.
  Result<std::string> StartParts(std::string_view) override {
    std::random_device rd;
    char tag[17];
    std::snprintf(tag, sizeof tag, "%08x%08x", rd(), rd());
    return std::string(tag);
  }

  Result<std::string> PutPart(std::string_view key, std::string_view upload, int number, std::string_view data) override {
    char id[64];
    std::snprintf(id, sizeof id, "%.16s-%06d", std::string(upload).c_str(), number);  // equal lengths, as Azure requires
    std::string block_id = Base64(id);
    // Content-MD5: the service refuses a block damaged on the way (a bad
    // block is then sent again, not found by the read-back after the whole
    // object). It is also what the service checks cheapest: without it
    // Azurite computes a CRC-64 in JavaScript, twice the server's CPU.
    ICB_RETURN_IF_ERROR(Call("PUT", key, {{"comp", "block"}, {"blockid", block_id}}, std::string(data),
                             "azure put block " + std::to_string(number) + " of " + std::string(key),
                             {{"Content-Type", "application/octet-stream"}, {"Content-MD5", Base64(Md5(data))}})
                            .status());
    return block_id;
  }

  Status CompleteParts(std::string_view key, std::string_view, const std::vector<std::string>& ids) override {
    std::string list = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const auto& id : ids) list += "<Latest>" + id + "</Latest>";
    list += "</BlockList>";
    return Call("PUT", key, {{"comp", "blocklist"}}, list, "azure commit blocks of " + std::string(key), {{"Content-Type", "application/xml"}}).status();
  }

  // Uncommitted blocks are the service's to discard; nothing to call.
  Status AbortParts(std::string_view, std::string_view) override { return Status::Ok(); }

  Status Delete(std::string_view key) override {
    return Call("DELETE", key, {}, "", "azure delete " + std::string(key), {}, [](int s) { return s == 404; }).status();
  }

 private:
  Result<HttpClientResponse> Call(const std::string& method, std::string_view key, const std::map<std::string, std::string>& query, const std::string& body,
                                  const std::string& what, std::map<std::string, std::string> extra = {}, std::function<bool(int)> accept = nullptr) {
    std::string path = (cfg_.path_style ? "/" + UriEncode(cfg_.account, false) : std::string()) + "/" + UriEncode(cfg_.container, false) +
                       (key.empty() ? "" : "/" + UriEncode(key, true));
    auto make = [&] {
      SharedKeyRequest sk;
      sk.method = method;
      sk.encoded_path = path;
      sk.query = query;
      sk.headers = extra;
      sk.headers["x-ms-date"] = Rfc1123(clock_.Now());
      sk.headers["x-ms-version"] = kApiVersion;
      if (method == "PUT" || method == "POST" || !body.empty()) sk.headers["Content-Length"] = std::to_string(body.size());
      HttpClientRequest req;
      req.method = method;
      std::string q;
      for (const auto& [k, v] : query) q += (q.empty() ? "?" : "&") + UriEncode(k, false) + "=" + UriEncode(v, false);
      req.url = cfg_.endpoint + path + q;
      for (const auto& [k, v] : sk.headers)
        if (k != "Content-Length") req.headers.emplace_back(k, v);  // the client sets the length itself
      req.headers.emplace_back("Authorization", SharedKeyAuthorization(sk, cfg_.account, cfg_.key_base64));
      req.body = body;
      return req;
    };
    auto resp = caller_.Call(what, make, accept);
    if (!resp.ok()) return SummarizeXmlError(resp.status());
    return resp;
  }

  AzureBlobConfig cfg_;
  const Clock& clock_;
  HttpCaller caller_;
};

}  // namespace

Result<AzureBlobConfig> AzureBlobConfigFromJson(const nlohmann::json& c) {
  AzureBlobConfig cfg;
  cfg.endpoint = c.at("endpoint").get<std::string>();
  while (!cfg.endpoint.empty() && cfg.endpoint.back() == '/') cfg.endpoint.pop_back();
  cfg.account = c.at("account").get<std::string>();
  cfg.key_base64 = c.at("key").get<std::string>();
  std::string decoded;
  if (!Base64Decode(cfg.key_base64, decoded)) return InvalidArgument("invalid key", {{"/key", "the account key is not base64"}});
  cfg.container = c.at("container").get<std::string>();
  cfg.path_style = c.value("path_style", true);
  if (c.contains("block_threshold_mib")) cfg.block_threshold = c["block_threshold_mib"].get<uint64_t>() << 20;
  if (c.contains("block_size_mib")) cfg.block_size = c["block_size_mib"].get<uint64_t>() << 20;
  if (c.contains("timeout_s")) cfg.retry.timeout = Millis(static_cast<long long>(c["timeout_s"].get<double>() * 1000));
  if (c.contains("attempts")) cfg.retry.attempts = c["attempts"].get<int>();
  return cfg;
}

std::unique_ptr<ObjectStore> NewAzureBlobStore(AzureBlobConfig config, AdapterContext& ctx) {
  return std::make_unique<AzureBlobStore>(std::move(config), ctx);
}

}  // namespace icb
