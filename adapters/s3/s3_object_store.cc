#include "adapters/s3/s3_object_store.h"

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

#include "broker/core/crypto.h"
#include "adapters/common/storage.h"
#include "adapters/common/xml.h"
#include "adapters/s3/sigv4.h"
#include "broker/core/time.h"

namespace icb {

namespace {

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string AmzDate(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(S3Config config, AdapterContext& ctx)
      : cfg_(std::move(config)), clock_(ctx.clock), caller_(ctx.http, cfg_.retry, ctx.sleep),
        creds_{cfg_.access_key, cfg_.secret_key, cfg_.region, "s3"} {
    std::string rest = cfg_.endpoint.substr(cfg_.endpoint.find("://") + 3);
    host_ = rest.substr(0, rest.find('/'));
  }

  Status EnsureContainer() override {
    auto r = Call("PUT", "", {}, "", "s3 create bucket " + cfg_.bucket, [](int s) { return s == 409; });
    return r.status();  // 409: it exists already (ours)
  }

  Result<ObjectPage> List(std::string_view prefix, std::string_view token, int max_keys) override {
    std::map<std::string, std::string> q = {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}};
    if (!prefix.empty()) q["prefix"] = std::string(prefix);
    if (!token.empty()) q["continuation-token"] = std::string(token);
    ICB_ASSIGN_OR_RETURN(auto resp, Call("GET", "", q, "", "s3 list " + cfg_.bucket));
    return ParseS3ListPage(resp.body);
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(auto resp, Call("HEAD", key, {}, "", "s3 head " + std::string(key)));
    return ObjectInfoFromHead(key, resp);
  }

  Status Get(std::string_view key, const ByteSink& sink) override {
    ICB_ASSIGN_OR_RETURN(ObjectInfo info, Head(key));
    std::string what = "s3 get " + std::string(key);
    return RangedGet(what, info.size, cfg_.part_size, [&](uint64_t first, uint64_t last, bool whole) -> Result<std::string> {
      std::vector<std::pair<std::string, std::string>> range;
      if (!whole) range.emplace_back("Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last));
      ICB_ASSIGN_OR_RETURN(auto resp, Call("GET", key, {}, "", what, nullptr, range));
      return std::move(resp.body);
    }, sink);
  }

  Status Put(std::string_view key, ByteSource& source, uint64_t size) override {
    if (size <= cfg_.multipart_threshold) {
      std::string body;
      ICB_RETURN_IF_ERROR(ReadExactly(source, size, body));
      return Call("PUT", key, {}, body, "s3 put " + std::string(key)).status();
    }
    ICB_ASSIGN_OR_RETURN(std::string upload, StartParts(key));
    Status st = PutParts(key, upload, source, size);
    if (!st.ok()) (void)AbortParts(key, upload);  // leave no orphaned parts behind; the first error is the one reported
    return st;
  }

  Status GetRange(std::string_view key, uint64_t offset, uint64_t length, const ByteSink& sink) override {
    std::string what = "s3 get " + std::string(key);
    for (uint64_t at = offset; at < offset + length; at += cfg_.part_size) {
      uint64_t last = std::min(offset + length, at + cfg_.part_size) - 1;
      ICB_ASSIGN_OR_RETURN(auto resp, Call("GET", key, {}, "", what, nullptr, {{"Range", "bytes=" + std::to_string(at) + "-" + std::to_string(last)}}));
      if (resp.body.size() != last - at + 1) return Unavailable(what + ": asked for " + std::to_string(last - at + 1) + " bytes, got " + std::to_string(resp.body.size()));
      ICB_RETURN_IF_ERROR(sink(resp.body));
    }
    return Status::Ok();
  }

  uint64_t PartSize() const override { return cfg_.part_size; }

  Result<std::string> StartParts(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(auto init, Call("POST", key, {{"uploads", ""}}, "", "s3 start multipart " + std::string(key)));
    std::string upload = XmlText(init.body, "UploadId");
    if (upload.empty()) return Unavailable("s3 start multipart " + std::string(key) + ": no UploadId in the answer");
    return upload;
  }

  Result<std::string> PutPart(std::string_view key, std::string_view upload, int number, std::string_view data) override {
    ICB_ASSIGN_OR_RETURN(auto resp, Call("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", std::string(upload)}}, std::string(data),
                                         "s3 put part " + std::to_string(number) + " of " + std::string(key)));
    return resp.Header("etag");
  }

  Status CompleteParts(std::string_view key, std::string_view upload, const std::vector<std::string>& tags) override {
    std::string complete = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < tags.size(); ++i)
      complete += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + XmlEscape(tags[i]) + "</ETag></Part>";
    complete += "</CompleteMultipartUpload>";
    ICB_ASSIGN_OR_RETURN(auto done, Call("POST", key, {{"uploadId", std::string(upload)}}, complete, "s3 complete multipart " + std::string(key)));
    // S3 may answer 200 with an error document.
    if (done.body.find("<Error>") != std::string::npos) {
      return SummarizeXmlError(Status(StatusCode::kUnavailable, "s3 complete multipart " + std::string(key) + ": HTTP 200: " + done.body));
    }
    return Status::Ok();
  }

  Status AbortParts(std::string_view key, std::string_view upload) override {
    return Call("DELETE", key, {{"uploadId", std::string(upload)}}, "", "s3 abort multipart " + std::string(key), [](int s) { return s == 404; }).status();
  }

  Status Delete(std::string_view key) override {
    return Call("DELETE", key, {}, "", "s3 delete " + std::string(key), [](int s) { return s == 404; }).status();
  }

 private:
  Status PutParts(std::string_view key, const std::string& upload, ByteSource& source, uint64_t size) {
    std::vector<std::string> tags;
    std::string part;
    for (uint64_t at = 0; at < size; at += cfg_.part_size) {
      ICB_RETURN_IF_ERROR(ReadExactly(source, std::min(cfg_.part_size, size - at), part));
      ICB_ASSIGN_OR_RETURN(auto tag, PutPart(key, upload, static_cast<int>(tags.size() + 1), part));
      tags.push_back(std::move(tag));
    }
    return CompleteParts(key, upload, tags);
  }

  Result<HttpClientResponse> Call(const std::string& method, std::string_view key, const std::map<std::string, std::string>& query,
                                  const std::string& body, const std::string& what, std::function<bool(int)> accept = nullptr,
                                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::string path = "/" + UriEncode(cfg_.bucket, false) + (key.empty() ? "" : "/" + UriEncode(key, true));
    std::string payload_hash = body.empty() ? kEmptySha256 : Hex(Sha256(body));
    auto make = [&] {
      SigV4Request sig;
      sig.method = method;
      sig.canonical_uri = path;
      sig.query = query;
      std::string date = AmzDate(clock_.Now());
      sig.headers = {{"host", host_}, {"x-amz-content-sha256", payload_hash}, {"x-amz-date", date}};
      sig.payload_sha256_hex = payload_hash;
      HttpClientRequest req;
      req.method = method;
      std::string q = CanonicalQuery(query);
      req.url = cfg_.endpoint + path + (q.empty() ? "" : "?" + q);
      req.headers = {{"x-amz-content-sha256", payload_hash}, {"x-amz-date", date}, {"Authorization", Authorization(sig, date, creds_)}};
      for (const auto& h : extra) req.headers.push_back(h);
      req.body = body;
      return req;
    };
    auto resp = caller_.Call(what, make, accept);
    if (!resp.ok()) return SummarizeXmlError(resp.status());
    return resp;
  }

  S3Config cfg_;
  const Clock& clock_;
  HttpCaller caller_;
  SigV4Credentials creds_;
  std::string host_;
};

}  // namespace

Result<S3Config> S3ConfigFromJson(const nlohmann::json& c) {
  S3Config cfg;
  cfg.endpoint = c.at("endpoint").get<std::string>();
  while (!cfg.endpoint.empty() && cfg.endpoint.back() == '/') cfg.endpoint.pop_back();
  cfg.region = c.value("region", "us-east-1");
  cfg.bucket = c.at("bucket").get<std::string>();
  cfg.access_key = c.at("access_key").get<std::string>();
  cfg.secret_key = c.at("secret_key").get<std::string>();
  if (c.contains("multipart_threshold_mib")) cfg.multipart_threshold = c["multipart_threshold_mib"].get<uint64_t>() << 20;
  if (c.contains("part_size_mib")) cfg.part_size = c["part_size_mib"].get<uint64_t>() << 20;
  if (c.contains("timeout_s")) cfg.retry.timeout = Millis(static_cast<long long>(c["timeout_s"].get<double>() * 1000));
  if (c.contains("attempts")) cfg.retry.attempts = c["attempts"].get<int>();
  return cfg;
}

std::unique_ptr<ObjectStore> NewS3ObjectStore(S3Config config, AdapterContext& ctx) {
  return std::make_unique<S3ObjectStore>(std::move(config), ctx);
}

}  // namespace icb
