// GET /v1/events/stream (event_feed.h) over the in-memory store, with a sink
// that collects what the server would write; and the console's own routes.
// The transport (chunks over a real connection) is in tests/e2e/service_test.cc.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "broker/api/api.h"
#include "broker/api/event_feed.h"
#include "broker/auth/key_store.h"
#include "broker/core/time.h"
#include "tests/support/api_harness.h"

namespace icb {
namespace {

using nlohmann::json;

// What a client of the stream has been sent.
class CollectingSink final : public StreamSink {
 public:
  bool Write(std::string chunk) override {
    std::lock_guard lock(mu_);
    text_ += chunk;
    ++writes_;
    changed_.notify_all();
    return open_;
  }
  void End() override {
    std::lock_guard lock(mu_);
    ended_ = true;
    changed_.notify_all();
  }
  // Waits (10 s at most) until `needle` has been sent.
  bool WaitFor(const std::string& needle) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return text_.find(needle) != std::string::npos; });
  }
  bool WaitForWrites(int n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return writes_ >= n; });
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::string text_;
  int writes_ = 0;
  bool ended_ = false;
  bool open_ = true;
};

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Waits (10 s at most) for `done`.
template <class F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class EventStreamTest : public ::testing::Test, protected testing::ApiHarness {
 protected:
  EventStreamTest() : ApiHarness("2026-12-07T10:00:00Z", Limits()), audit_(*store_), keys_(*store_, clock_) {}
  static ApiLimits Limits() {
    ApiLimits l;
    l.events_every = std::chrono::milliseconds(10);
    return l;
  }

  HttpResponse Get(const std::string& path, const std::string& key = "", const std::string& last_event_id = "") {
    HttpRequest r;
    r.method = "GET";
    EXPECT_TRUE(ParseRequestTarget(path, r).ok()) << path;
    if (!key.empty()) r.headers["authorization"] = "Bearer " + key;
    if (!last_event_id.empty()) r.headers["last-event-id"] = last_event_id;
    return api_.Handle(r);
  }
  // Opens the stream as a client would: what it is sent.
  std::shared_ptr<CollectingSink> Open(const std::string& key = "", const std::string& last_event_id = "") {
    auto sink = std::make_shared<CollectingSink>();
    HttpResponse r = Get("/v1/events/stream", key, last_event_id);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/event-stream");
    if (!r.stream) {
      ADD_FAILURE() << "not a stream";
      return sink;
    }
    r.stream->Open(sink);
    EXPECT_TRUE(sink->WaitFor("retry: "));
    return sink;
  }
  void Record(const std::string& id, const std::string& workload) {
    ASSERT_TRUE(audit_.Record({MakeEvent(id, "detected", clock_.Now(), {workload, "", "sim-a"}, "probe failed: " + id)}, nullptr).ok());
  }
  long long NumberOf(const std::string& id) {
    AuditFilter all;
    all.limit = 1000;
    auto page = audit_.Query(all);
    EXPECT_TRUE(page.ok());
    for (size_t i = 0; i < page->events.size(); ++i)
      if (page->events[i].id == id) return page->numbers[i];
    ADD_FAILURE() << "no event " << id;
    return 0;
  }

  AuditLog audit_;
  KeyStore keys_;
};

TEST_F(EventStreamTest, SendsEachEventAsItIsRecordedWithItsNumberAsId) {
  Record("before", "web");  // recorded before the stream opened: not sent
  auto sink = Open();
  Record("e1", "web");
  ASSERT_TRUE(sink->WaitFor("probe failed: e1"));
  const std::string text = sink->text();
  EXPECT_EQ(Count(text, "probe failed: before"), 0u);
  EXPECT_NE(text.find("id: " + std::to_string(NumberOf("e1")) + "\ndata: {"), std::string::npos) << text;
  // The data line is the event as GET /v1/events answers it.
  const size_t data = text.find("data: ") + 6;
  json e = json::parse(text.substr(data, text.find('\n', data) - data));
  EXPECT_EQ(e["id"], "e1");
  EXPECT_EQ(e["kind"], "detected");
  EXPECT_EQ(e["workload"], "web");
}

TEST_F(EventStreamTest, ResumesAfterLastEventIdMissingNothingAndRepeatingNothing) {
  for (const char* id : {"r1", "r2", "r3"}) Record(id, "web");
  auto sink = Open("", std::to_string(NumberOf("r1")));
  ASSERT_TRUE(sink->WaitFor("probe failed: r3"));
  Record("r4", "web");
  ASSERT_TRUE(sink->WaitFor("probe failed: r4"));
  Record("r5", "web");
  ASSERT_TRUE(sink->WaitFor("probe failed: r5"));
  const std::string text = sink->text();
  EXPECT_EQ(Count(text, "probe failed: r1"), 0u);
  for (const char* id : {"r2", "r3", "r4", "r5"}) EXPECT_EQ(Count(text, std::string("probe failed: ") + id), 1u) << id << "\n" << text;
  EXPECT_LT(text.find("r2"), text.find("r3"));
  EXPECT_LT(text.find("r3"), text.find("r4"));
}

TEST_F(EventStreamTest, ABacklogLongerThanOneReadIsSentWholeInOrder) {
  for (int i = 0; i < 2500; ++i) Record("b" + std::to_string(i), "web");
  auto sink = Open("", "0");
  ASSERT_TRUE(sink->WaitFor("probe failed: b2499\""));
  const std::string text = sink->text();
  EXPECT_EQ(Count(text, "\ndata: "), 2500u);
  EXPECT_LT(text.find("probe failed: b999\""), text.find("probe failed: b1000\""));
}

TEST_F(EventStreamTest, ATenantIsSentOnlyItsOwnEventsAsItNamesThem) {
  api_.RequireKeys();
  auto acme = keys_.Create("acme", Role::kReader, "");
  ASSERT_TRUE(acme.ok());
  auto sink = Open(acme->secret, "0");
  Record("other", TenantSpace::OfTenant("globex").Scoped("web"));
  Record("mine", TenantSpace::OfTenant("acme").Scoped("web"));
  ASSERT_TRUE(sink->WaitFor("probe failed: mine"));
  Record("later", TenantSpace::OfTenant("acme").Scoped("db"));
  ASSERT_TRUE(sink->WaitFor("probe failed: later"));
  const std::string text = sink->text();
  EXPECT_EQ(text.find("globex"), std::string::npos) << text;
  EXPECT_EQ(text.find("probe failed: other"), std::string::npos) << text;
  EXPECT_EQ(text.find("acme~"), std::string::npos) << "ids as the tenant names them: " << text;
  EXPECT_NE(text.find("\"workload\":\"web\""), std::string::npos) << text;
  // Without a key: refused like every other route.
  EXPECT_EQ(Get("/v1/events/stream").status, 401);
}

TEST_F(EventStreamTest, RefusesALastEventIdThatIsNotAnEventNumber) {
  for (const char* bad : {"abc", "-1", "1234567890123456789", "1 2"}) {
    HttpResponse r = Get("/v1/events/stream", "", bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_FALSE(r.stream);
    EXPECT_NE(r.body.find("Last-Event-ID"), std::string::npos) << r.body;
  }
  HttpResponse q = Get("/v1/events/stream?after=x");
  EXPECT_EQ(q.status, 400);
  EXPECT_NE(q.body.find("after="), std::string::npos) << q.body;
}

TEST_F(EventStreamTest, AStreamWhoseClientWentIsDroppedAndTheReaderIdles) {
  AuditLog audit(*store_);
  EventFeed feed(audit, {std::chrono::milliseconds(5), std::chrono::milliseconds(20), 1000});
  auto sink = std::make_shared<CollectingSink>();
  auto stream = feed.Open({TenantSpace::Default()}, std::nullopt);
  ASSERT_TRUE(stream.ok());
  (*stream)->Open(sink);
  ASSERT_TRUE(Eventually([&] { return feed.open_streams() == 1; }));
  ASSERT_TRUE(sink->WaitFor(": still here"));  // a heartbeat while nothing happens
  sink->Close();                              // the client went: the next write says so
  EXPECT_TRUE(Eventually([&] { return feed.open_streams() == 0; }));
}

TEST(ServerSentEventTest, IsOneIdLineAndOneDataLineEvenWhenTheSummaryHasNewlines) {
  AuditEvent e = MakeEvent("x", "decision", *ParseRfc3339("2026-12-07T10:00:00Z"), {"web", "op-1", ""}, "line one\nline two\r\n");
  const std::string text = ServerSentEvent(42, e);
  EXPECT_EQ(text.rfind("id: 42\ndata: {", 0), 0u) << text;
  EXPECT_EQ(Count(text, "\n"), 3u) << text;  // id, data, blank
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
}

class ConsoleRoutesTest : public EventStreamTest {};

TEST_F(ConsoleRoutesTest, ServesItsPageScriptAndStyleWithoutAKeyAndNothingElse) {
  api_.RequireKeys();
  HttpResponse page = Get("/ui");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/ui/console.js"), std::string::npos);
  bool csp = false;
  for (const auto& [k, v] : page.headers)
    if (k == "Content-Security-Policy") csp = v.find("default-src 'none'") != std::string::npos && v.find("script-src 'self'") != std::string::npos;
  EXPECT_TRUE(csp) << "the page may load nothing from outside";
  // Nothing in the page is loaded from another origin.
  for (const char* outside : {"http://", "https://", "//cdn"}) EXPECT_EQ(page.body.find(outside), std::string::npos) << outside;
  EXPECT_EQ(Get("/ui/console.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Get("/ui/console.css").content_type, "text/css; charset=utf-8");
  HttpResponse missing = Get("/ui/secrets.json");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  EXPECT_EQ(Get("/ui/..%2Fopenapi.json").status, 404);
}

TEST_F(ConsoleRoutesTest, CallerTellsTheKeysTenantAndRole) {
  HttpResponse open = Get("/v1/caller");
  ASSERT_EQ(open.status, 200);
  EXPECT_EQ(json::parse(open.body)["auth"], "off");
  api_.RequireKeys();
  auto reader = keys_.Create("acme", Role::kReader, "");
  ASSERT_TRUE(reader.ok());
  HttpResponse r = Get("/v1/caller", reader->secret);
  ASSERT_EQ(r.status, 200) << r.body;
  json who = json::parse(r.body);
  EXPECT_EQ(who["tenant"], "acme");
  EXPECT_EQ(who["role"], "reader");
  EXPECT_EQ(who["key"], reader->key.id);
  EXPECT_EQ(Get("/v1/caller").status, 401);
}

}  // namespace
}  // namespace icb
