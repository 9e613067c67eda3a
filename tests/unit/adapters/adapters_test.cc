// Adapter building blocks without a server: SigV4 against AWS's published
// example, XML, retries and status mapping on a scripted client, and the
// object-store conformance suite on the in-memory store.
#include <gtest/gtest.h>

#include <deque>

#include <nlohmann/json.hpp>

#include "adapters/common/storage.h"
#include "broker/core/crypto.h"
#include "adapters/common/xml.h"
#include "adapters/azure/azure_blob_store.h"
#include "adapters/s3/sigv4.h"
#include "broker/ports/http_calls.h"
#include "tests/support/fakes/memory_object_store.h"
#include "broker/ports/registry.h"
#include "broker/core/clock.h"
#include "tests/support/object_store_conformance.h"

namespace icb {
namespace {

TEST(SigV4, AwsDocumentationExample) {
  // AWS General Reference, "Signature Version 4 signing process", the IAM
  // ListUsers example: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
  // 20150830T123600Z, us-east-1, iam. Published: the canonical request hashes
  // to f536975d..., and the signature is 5d672d79....
  SigV4Credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "iam"};
  SigV4Request r;
  r.method = "GET";
  r.canonical_uri = "/";
  r.query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}};
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}, {"host", "iam.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
  r.payload_sha256_hex = Hex(Sha256(""));
  EXPECT_EQ(r.payload_sha256_hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256(CanonicalRequest(r))), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(Authorization(r, "20150830T123600Z", c),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, UriEncoding) {
  EXPECT_EQ(UriEncode("a b+c/d~e", true), "a%20b%2Bc/d~e");
  EXPECT_EQ(UriEncode("a b+c/d~e", false), "a%20b%2Bc%2Fd~e");
  EXPECT_EQ(UriEncode("한", false), "%ED%95%9C");
  EXPECT_EQ(CanonicalQuery({{"uploads", ""}, {"prefix", "a b"}}), "prefix=a%20b&uploads=");
}

TEST(Crypto, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\0\xff\x10", 3)}) {
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64(s), back));
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  std::string out;
  EXPECT_FALSE(Base64Decode("abc", out));
}

TEST(Crypto, Md5RfcVectors) {
  // RFC 1321, appendix A.5.
  EXPECT_EQ(Hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(Md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")), "57edf4a22be3c955ac49da2e2107b67a");
  EXPECT_EQ(Base64(Md5("abc")), "kAFQmDzST7DWlj99KOF/cg==");  // as the Content-MD5 header carries it
}

TEST(Xml, TextBlocksAndEntities) {
  std::string xml = "<R><Contents><Key>a &amp; b &#xD55C;</Key><Size>3</Size></Contents><Contents><Key>c</Key></Contents><KeyCount>2</KeyCount></R>";
  auto blocks = XmlBlocks(xml, "Contents");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(XmlText(blocks[0], "Key"), "a & b 한");
  EXPECT_EQ(XmlText(xml, "KeyCount"), "2");
  EXPECT_EQ(XmlText(xml, "Missing"), "");
  EXPECT_EQ(XmlEscape("<\"a&b\">"), "&lt;&quot;a&amp;b&quot;&gt;");
}

// Answers from a script, and the requests it was sent.
class ScriptedClient final : public HttpClient {
 public:
  std::deque<Result<HttpClientResponse>> answers;
  std::vector<HttpClientRequest> sent;
  Result<HttpClientResponse> Send(const HttpClientRequest& r) override {
    sent.push_back(r);
    auto a = answers.front();
    answers.pop_front();
    return a;
  }
};

HttpClientResponse Answer(int status, std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
  return {status, std::move(headers), std::move(body)};
}

TEST(HttpCaller, RetriesWhatIsWorthRetryingWithBackoffAndRetryAfter) {
  ScriptedClient http;
  std::vector<Millis> slept;
  RetryPolicy policy;
  policy.attempts = 4;
  policy.timeout = Millis(1500);
  HttpCaller caller(http, policy, [&](Millis d) { slept.push_back(d); }, 42);
  http.answers = {Unavailable("connection refused"), Answer(503, {{"retry-after", "2"}}), Answer(429), Answer(200, {}, "ok")};
  int made = 0;
  auto r = caller.Call("test call", [&] {
    ++made;
    return HttpClientRequest{"GET", "http://x/" + std::to_string(made), {}, "", Millis(0)};
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(made, 4);  // the request is built (and signed) afresh each time
  ASSERT_EQ(slept.size(), 3u);
  EXPECT_LE(slept[0], Millis(100));       // full jitter over 100 ms
  EXPECT_GE(slept[1], Millis(2000));      // Retry-After: 2 s honoured
  EXPECT_LE(slept[2], Millis(400));       // over 400 ms
  for (const auto& req : http.sent) EXPECT_EQ(req.timeout, Millis(1500));  // every call has the timeout
}

const std::string* HeaderOf(const HttpClientRequest& r, const std::string& name);

// A control plane under load answers 429 with Retry-After: waited out as
// asked, the same request again, no attempt used up; a 429 without it (a
// quota) is the caller's to accept; past the budget it is an error.
TEST(HttpCaller, ThrottlingIsWaitedOutAsTheProviderAsks) {
  ScriptedClient http;
  std::vector<Millis> slept;
  RetryPolicy policy;
  policy.attempts = 2;
  policy.throttle_budget = Millis(10'000);
  HttpCaller caller(http, policy, [&](Millis d) { slept.push_back(d); }, 7);
  auto make = [] { return HttpClientRequest{"POST", "http://x/v1/scale", {{"Idempotency-Key", "op-1/scale"}}, "{}", Millis(0)}; };
  const auto throttled = [](const char* after) { return Answer(429, {{"retry-after", after}}, R"({"error":"throttled"})"); };
  http.answers = {throttled("1"), throttled("3"), throttled("1"), Answer(500), Answer(200, {}, "ok")};
  auto accept_quota = [](int s) { return s == 429; };  // as the compute adapter does for "over quota"
  auto r = caller.Call("scale", make, accept_quota);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "ok");  // three throttles and a 500 within 2 attempts
  ASSERT_EQ(slept.size(), 4u);
  EXPECT_EQ(slept[0], Millis(1000));
  EXPECT_EQ(slept[1], Millis(3000));  // as long as asked, not capped
  EXPECT_EQ(slept[2], Millis(1000));
  for (const auto& req : http.sent) EXPECT_EQ(*HeaderOf(req, "Idempotency-Key"), "op-1/scale");
  // A 429 without Retry-After is an answer (over quota) the caller accepts.
  http.answers = {Answer(429, {}, R"({"error":"quota exceeded"})")};
  auto quota = caller.Call("scale", make, accept_quota);
  ASSERT_TRUE(quota.ok());
  EXPECT_EQ(quota->status, 429);
  // Past the budget: no longer waited out.
  slept.clear();
  http.answers = {throttled("6"), throttled("6"), throttled("6")};
  auto r2 = caller.Call("scale", make);
  EXPECT_EQ(r2.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(slept.front(), Millis(6000));
}

TEST(HttpCaller, ClientErrorsAreNotRetriedAndMapToStatus) {
  ScriptedClient http;
  std::vector<Millis> slept;
  HttpCaller caller(http, RetryPolicy{}, [&](Millis d) { slept.push_back(d); }, 1);
  auto make = [] { return HttpClientRequest{"GET", "http://x/", {}, "", Millis(0)}; };
  http.answers = {Answer(403, {}, "<Error><Code>AccessDenied</Code></Error>")};
  EXPECT_EQ(caller.Call("c", make).status().code(), StatusCode::kPermissionDenied);
  http.answers = {Answer(404)};
  EXPECT_EQ(caller.Call("c", make).status().code(), StatusCode::kNotFound);
  http.answers = {Answer(409)};
  EXPECT_EQ(caller.Call("c", make).status().code(), StatusCode::kAlreadyExists);
  http.answers = {Answer(409)};
  EXPECT_TRUE(caller.Call("c", make, [](int s) { return s == 409; }).ok());  // accepted by the caller
  EXPECT_TRUE(slept.empty());
  http.answers = {Answer(500), Answer(500), Answer(500), Answer(500)};
  EXPECT_EQ(caller.Call("c", make).status().code(), StatusCode::kUnavailable);  // gave up after 4
  EXPECT_EQ(slept.size(), 3u);
  http.answers = {Status(StatusCode::kDeadlineExceeded, "timeout"), Status(StatusCode::kDeadlineExceeded, "timeout"),
                  Status(StatusCode::kDeadlineExceeded, "timeout"), Status(StatusCode::kDeadlineExceeded, "timeout")};
  EXPECT_EQ(caller.Call("c", make).status().code(), StatusCode::kDeadlineExceeded);
}

const std::string* HeaderOf(const HttpClientRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return &v;
  return nullptr;
}

TEST(AzureBlobAdapter, EveryBlockAndSmallBlobIsSentWithTheContentMd5OfItsBytesAndSignedWithIt) {
  // The service refuses a block damaged on the way only if it is told its
  // MD5; the header is part of what SharedKey signs.
  ScriptedClient http;
  ManualClock clock(TimePoint(std::chrono::milliseconds(1'700'000'000'000)));
  AdapterContext ctx{http, clock, [](Millis) {}, nullptr};
  AzureBlobConfig cfg;
  cfg.endpoint = "http://azure.test";
  cfg.account = "acct";
  cfg.key_base64 = Base64("secret key");
  cfg.container = "box";
  cfg.block_threshold = 4;
  cfg.block_size = 4;
  auto store = NewAzureBlobStore(cfg, ctx);
  for (int i = 0; i < 4; ++i) http.answers.push_back(Answer(201));
  std::string body = "abcdefghij";  // 3 blocks of at most 4 bytes, then the block list
  StringSource source(body);
  ASSERT_TRUE(store->Put("k", source, body.size()).ok());
  ASSERT_EQ(http.sent.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    const auto& r = http.sent[i];
    const std::string* md5 = HeaderOf(r, "Content-MD5");
    ASSERT_NE(md5, nullptr) << r.url;
    EXPECT_EQ(*md5, Base64(Md5(body.substr(i * 4, 4))));
    EXPECT_EQ(r.body, body.substr(i * 4, 4));
    // The signature covers it: the same request signed without the header differs.
    SharedKeyRequest sk;
    sk.method = "PUT";
    sk.encoded_path = "/acct/box/k";
    for (const auto& [k, v] : r.headers)
      if (k != "Authorization") sk.headers[k] = v;
    sk.headers["Content-Length"] = std::to_string(r.body.size());
    const std::string q = r.url.substr(r.url.find('?') + 1);
    sk.query["comp"] = "block";
    std::string id_encoded = q.substr(q.find("blockid=") + 8);
    id_encoded = id_encoded.substr(0, id_encoded.find('&'));
    std::string id;
    for (size_t c = 0; c < id_encoded.size(); ++c) {
      if (id_encoded[c] == '%') {
        id += static_cast<char>(std::stoi(id_encoded.substr(c + 1, 2), nullptr, 16));
        c += 2;
      } else {
        id += id_encoded[c];
      }
    }
    sk.query["blockid"] = id;
    EXPECT_EQ(*HeaderOf(r, "Authorization"), SharedKeyAuthorization(sk, "acct", cfg.key_base64));
    sk.headers.erase("Content-MD5");
    EXPECT_NE(*HeaderOf(r, "Authorization"), SharedKeyAuthorization(sk, "acct", cfg.key_base64));
  }
  EXPECT_EQ(HeaderOf(http.sent[3], "Content-MD5"), nullptr);  // the block list: its own small XML body
  http.sent.clear();
  http.answers.push_back(Answer(201));
  StringSource small("abc");
  ASSERT_TRUE(store->Put("s", small, 3).ok());
  ASSERT_EQ(http.sent.size(), 1u);
  ASSERT_NE(HeaderOf(http.sent[0], "Content-MD5"), nullptr);
  EXPECT_EQ(*HeaderOf(http.sent[0], "Content-MD5"), "kAFQmDzST7DWlj99KOF/cg==");
}

TEST(AdapterRegistry, ConfigIsCheckedAgainstTheAdaptersSchema) {
  auto schemas = SchemaSet::LoadEmbedded();
  AdapterRegistry registry(**schemas);
  RegisterBuiltinAdapters(registry);
  EXPECT_EQ(registry.Names<ObjectStore>(), (std::vector<std::string>{"azure_blob", "file", "s3"}));
  EXPECT_EQ(registry.Names<DnsSwitch>(), std::vector<std::string>{"powerdns"});
  ScriptedClient http;
  ManualClock clock(TimePoint{});
  AdapterContext ctx{http, clock, [](Millis) {}, nullptr};
  auto bad = registry.Create<ObjectStore>("s3", {{"endpoint", "http://127.0.0.1:1"}, {"bucket", "b"}}, ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().errors().at(0).pointer, "/bucket");  // too short a bucket name; keys missing too
  auto unknown = registry.Create<ObjectStore>("ftp", nlohmann::json::object(), ctx);
  EXPECT_NE(unknown.status().errors().at(0).message.find("known: azure_blob, file, s3"), std::string::npos);
  auto ok = registry.Create<ObjectStore>("s3", {{"endpoint", "http://127.0.0.1:1"}, {"bucket", "bucket"}, {"access_key", "a"}, {"secret_key", "s"}}, ctx);
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

struct MemoryObjectStores {
  static constexpr size_t kLarge = 3 << 20;
  std::unique_ptr<ObjectStore> Make() { return NewMemoryObjectStore(1 << 20); }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, ObjectStoreConformance, MemoryObjectStores);

}  // namespace
}  // namespace icb

namespace icb {
namespace {

TEST(Dns, RecordSetsAreCheckedBeforeSending) {
  const std::string zone = "lab.example.";
  EXPECT_TRUE(CheckRecordSet({"www.lab.example.", "A", 30, {"192.0.2.1", "192.0.2.2"}, {}}, zone).ok());
  EXPECT_TRUE(CheckRecordSet({"v6.lab.example.", "AAAA", 30, {"2001:db8::1"}, {}}, zone).ok());
  EXPECT_TRUE(CheckRecordSet({"alias.lab.example.", "CNAME", 30, {"www.lab.example."}, {}}, zone).ok());
  auto pointer = [&](const DnsRecordSet& r) { return CheckRecordSet(r, zone).errors().at(0).pointer; };
  EXPECT_EQ(pointer({"www.lab.example.", "MX", 30, {"x."}, {}}), "/type");
  EXPECT_EQ(pointer({"www.lab.example", "A", 30, {"192.0.2.1"}, {}}), "/name");      // not absolute
  EXPECT_EQ(pointer({"www.other.example.", "A", 30, {"192.0.2.1"}, {}}), "/name");   // outside the zone
  EXPECT_EQ(pointer({"evillab.example.", "A", 30, {"192.0.2.1"}, {}}), "/name");     // suffix but not a subdomain
  EXPECT_EQ(pointer({"www.lab.example.", "A", 0, {"192.0.2.1"}, {}}), "/ttl");
  EXPECT_EQ(pointer({"www.lab.example.", "A", 30, {"192.0.2.1", "300.1.1.1"}, {}}), "/contents/1");
  EXPECT_EQ(pointer({"www.lab.example.", "AAAA", 30, {"192.0.2.1"}, {}}), "/contents/0");
  EXPECT_EQ(pointer({"a.lab.example.", "CNAME", 30, {"x.lab.example.", "y.lab.example."}, {}}), "/contents");
  // Views: networks as CIDRs, addresses of the set's type; none for a CNAME.
  const DnsView near{{"203.0.113.0/24", "2001:db8::/32"}, {"192.0.2.7"}};
  EXPECT_TRUE(CheckRecordSet({"www.lab.example.", "A", 30, {"192.0.2.1"}, {near}}, zone).ok());
  EXPECT_EQ(pointer({"www.lab.example.", "A", 30, {"192.0.2.1"}, {near, {{"10.0.0.0/33"}, {"192.0.2.8"}}}}), "/views/1/networks/0");
  EXPECT_EQ(pointer({"www.lab.example.", "A", 30, {"192.0.2.1"}, {{{"10.0.0.0/8"}, {"192.0.2.8", "1.2.3"}}}}), "/views/0/contents/1");
  EXPECT_EQ(pointer({"www.lab.example.", "A", 30, {"192.0.2.1"}, {{{"'}) os.exit() --"}, {"192.0.2.8"}}}}), "/views/0/networks/0");
  EXPECT_EQ(pointer({"www.lab.example.", "A", 30, {"192.0.2.1"}, {{{}, {"192.0.2.8"}}}}), "/views/0/networks");
  EXPECT_EQ(pointer({"www.lab.example.", "A", 30, {"192.0.2.1"}, {{{"10.0.0.0/8"}, {}}}}), "/views/0/contents");
  EXPECT_EQ(pointer({"a.lab.example.", "CNAME", 30, {"x.lab.example."}, {near}}), "/views");
}

}  // namespace
}  // namespace icb

#include "broker/ports/copy.h"

namespace icb {
namespace {

TEST(Copy, StreamsEveryObjectUnderAPrefix) {
  auto from = NewMemoryObjectStore(64 << 10), to = NewMemoryObjectStore();
  std::vector<std::string> data;
  for (int i = 0; i < 6; ++i) {
    data.push_back(RandomBytes(static_cast<size_t>(i) * 300'000, static_cast<uint64_t>(i)));
    ASSERT_TRUE(PutString(*from, "set/" + std::to_string(i), data.back()).ok());
  }
  ASSERT_TRUE(PutString(*from, "other/x", "not copied").ok());
  auto r = CopyPrefix(*from, "set/", *to, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->objects, 6u);
  EXPECT_EQ(r->bytes, 300'000u * (0 + 1 + 2 + 3 + 4 + 5));
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(*ReadAll(*to, "set/" + std::to_string(i)) == data[static_cast<size_t>(i)]);
  EXPECT_EQ(to->Head("other/x").status().code(), StatusCode::kNotFound);
}

// A store whose reads fail part-way, as a dropped connection would.
class FailingReads final : public ObjectStore {
 public:
  explicit FailingReads(ObjectStore& inner) : inner_(inner) {}
  Status EnsureContainer() override { return Status::Ok(); }
  Result<ObjectPage> List(std::string_view p, std::string_view t, int m) override { return inner_.List(p, t, m); }
  Result<ObjectInfo> Head(std::string_view k) override { return inner_.Head(k); }
  Status Get(std::string_view k, const ByteSink& sink) override {
    int n = 0;
    return inner_.Get(k, [&](std::string_view chunk) { return ++n > 2 ? Unavailable("connection reset") : sink(chunk); });
  }
  Status Put(std::string_view k, ByteSource& s, uint64_t n) override { return inner_.Put(k, s, n); }
  Status Delete(std::string_view k) override { return inner_.Delete(k); }

 private:
  ObjectStore& inner_;
};

TEST(Copy, AFailedReadLeavesNothingAtTheTarget) {
  auto inner = NewMemoryObjectStore(64 << 10), to = NewMemoryObjectStore();
  ASSERT_TRUE(PutString(*inner, "big", RandomBytes(1 << 20, 9)).ok());
  FailingReads from(*inner);
  Status st = CopyObject(from, *inner->Head("big"), *to, "big");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();  // the cause, not "source ended"
  EXPECT_EQ(to->Head("big").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace icb

#include "tests/support/fakes/memory_adapters.h"
#include "tests/support/adapter_conformance.h"

namespace icb {
namespace {

struct MemoryDns {
  std::unique_ptr<DnsSwitch> Make() { return NewMemoryDnsSwitch("lab.example."); }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, DnsConformance, MemoryDns);

struct MemorySplit {
  std::unique_ptr<TrafficSplit> Make() { return NewMemoryTrafficSplit({"sim-a", "sim-b"}); }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, TrafficSplitConformance, MemorySplit);

struct MemoryComputes {
  MemoryCompute* last = nullptr;
  std::unique_ptr<ComputeProvider> Make() {
    auto c = NewMemoryCompute(100, 20, "http://127.0.0.1:1/");
    last = c.get();
    return c;
  }
  void SetCapacity(int capacity) { last->SetCapacity(capacity); }
  static bool DeployTellsInstances() { return false; }  // the orchestrator's unit tests take the State() path
};
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, ComputeConformance, MemoryComputes);

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// What a provider sends is bounded like what a client sends: a listing with
// a size that is not a 64-bit number is refused, never an exception.
TEST(StorageAnswers, ListingsAndSizesFromProvidersAreChecked) {
  auto page = ParseS3ListPage(
      "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken>"
      "<Contents><Key>a&lt;b</Key><Size>18446744073709551615</Size><ETag>&quot;e1&quot;</ETag>"
      "<LastModified>2026-11-01T00:00:00.000Z</LastModified></Contents></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "a<b");
  EXPECT_EQ(page->objects[0].size, UINT64_MAX);
  EXPECT_EQ(page->objects[0].etag, "e1");
  EXPECT_EQ(page->next_token, "t&1");
  for (const char* size : {"18446744073709551616", "99999999999999999999999", "-1", "1e3", "", " 1"}) {
    std::string xml = std::string("<EnumerationResults><Blobs><Blob><Name>x</Name><Properties><Content-Length>") + size +
                      "</Content-Length></Properties></Blob></Blobs></EnumerationResults>";
    auto r = ParseAzureListPage(xml);
    EXPECT_FALSE(r.ok()) << size;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << size;
  }
  EXPECT_EQ(*ParseObjectSize("0", "t"), 0u);
}

}  // namespace
}  // namespace icb
