#include "broker/api/event_feed.h"

#include <algorithm>

namespace icb {

std::string ServerSentEvent(long long number, const AuditEvent& event) {
  // One data line: the JSON has no raw newline (they are escaped).
  return "id: " + std::to_string(number) + "\ndata: " + AuditEventToJson(event).dump() + "\n\n";
}

namespace {

struct Subscriber {
  std::vector<TenantSpace> spaces;
  long long cursor = 0;  // the last event it has been sent (or looked past)
  std::shared_ptr<StreamSink> sink;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();

  bool Sees(const AuditEvent& e) const { return std::find(spaces.begin(), spaces.end(), SpaceOf(e)) != spaces.end(); }
  // As the caller names its ids (tenant_space.h; the router does this for
  // every other answer): its own space is the first.
  std::string AsSent(long long number, const AuditEvent& e) const {
    std::string text = ServerSentEvent(number, e);
    return spaces.front().is_default() ? text : spaces.front().Unscope(text);
  }
};

}  // namespace

struct EventFeed::State {
  State(AuditLog& a, EventFeedOptions o) : audit(a), options(o) {}

  AuditLog& audit;
  const EventFeedOptions options;
  mutable std::mutex mu;
  std::condition_variable wake;
  std::vector<std::shared_ptr<Subscriber>> subscribers;  // under mu
  bool stopping = false;                                   // under mu
  std::thread reader;                                      // runs while subscribers are open
  long long cursor = -1;                                   // the reader's: the last event read (-1: not yet)

  void Add(std::shared_ptr<Subscriber> s, const std::shared_ptr<State>& self) {
    std::lock_guard lock(mu);
    if (stopping) return s->sink->End();
    subscribers.push_back(std::move(s));
    if (!reader.joinable()) reader = std::thread([self] { self->Run(); });
    wake.notify_all();
  }

  void Run() {
    std::unique_lock lock(mu);
    while (!stopping) {
      if (subscribers.empty()) {
        cursor = -1;  // reread the newest when one opens again
        wake.wait(lock, [&] { return stopping || !subscribers.empty(); });
        continue;
      }
      auto open = subscribers;
      lock.unlock();
      Tick(open);
      lock.lock();
      wake.wait_for(lock, options.every, [&] { return stopping; });
    }
    for (auto& s : subscribers) s->sink->End();
    subscribers.clear();
  }

  // Reads what was recorded since the last tick and hands it out; streams
  // that resumed from further back read their own backlog first.
  void Tick(const std::vector<std::shared_ptr<Subscriber>>& open) {
    if (cursor < 0) {
      auto newest = audit.Newest();
      if (!newest.ok()) return;  // the store is away: try again next tick
      cursor = *newest;
    }
    const long long before = cursor;
    AuditPage fresh;
    for (;;) {
      AuditFilter all;
      all.after = cursor;
      all.limit = options.most_per_tick;
      auto page = audit.Query(all);
      if (!page.ok()) break;
      for (size_t i = 0; i < page->events.size(); ++i) {
        fresh.events.push_back(std::move(page->events[i]));
        fresh.numbers.push_back(page->numbers[i]);
      }
      if (!page->next) {
        if (!fresh.numbers.empty()) cursor = fresh.numbers.back();
        break;
      }
      cursor = *page->next;
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Subscriber>> gone;
    for (const auto& s : open) {
      std::string out;
      if (s->cursor < before) {
        // Behind the shared read: its own backlog, a page a tick.
        AuditFilter mine;
        mine.after = s->cursor;
        mine.spaces = s->spaces;
        mine.limit = options.most_per_tick;
        auto page = audit.Query(mine);
        if (!page.ok()) continue;
        for (size_t i = 0; i < page->events.size(); ++i) out += s->AsSent(page->numbers[i], page->events[i]);
        if (!page->numbers.empty()) s->cursor = page->numbers.back();
        if (page->next) {
          s->cursor = *page->next;
        } else {
          // Caught up to the end of the trail as it was then: what was
          // read beyond what it was sent comes from the shared read.
          for (size_t i = 0; i < fresh.events.size(); ++i)
            if (fresh.numbers[i] > s->cursor && s->Sees(fresh.events[i])) out += s->AsSent(fresh.numbers[i], fresh.events[i]);
          s->cursor = std::max(s->cursor, cursor);
        }
      } else {
        for (size_t i = 0; i < fresh.events.size(); ++i)
          if (fresh.numbers[i] > s->cursor && s->Sees(fresh.events[i])) out += s->AsSent(fresh.numbers[i], fresh.events[i]);
        s->cursor = std::max(s->cursor, cursor);
      }
      if (out.empty() && now - s->last_write >= options.heartbeat) out = ": still here\n\n";
      if (out.empty()) continue;
      s->last_write = now;
      if (!s->sink->Write(std::move(out))) gone.push_back(s);
    }
    if (!gone.empty()) {
      std::lock_guard lock(mu);
      std::erase_if(subscribers, [&](const auto& s) { return std::find(gone.begin(), gone.end(), s) != gone.end(); });
    }
  }
};

namespace {

class AuditStream final : public ResponseStream {
 public:
  AuditStream(std::weak_ptr<EventFeed::State> feed, std::vector<TenantSpace> spaces, long long after)
      : feed_(std::move(feed)), spaces_(std::move(spaces)), after_(after) {}
  void Open(std::shared_ptr<StreamSink> sink) override {
    auto feed = feed_.lock();
    // How long a client waits before it reconnects (EventSource's retry).
    if (!feed || !sink->Write("retry: 2000\n\n")) return sink->End();
    auto s = std::make_shared<Subscriber>();
    s->spaces = std::move(spaces_);
    s->cursor = after_;
    s->sink = std::move(sink);
    feed->Add(std::move(s), feed);
  }

 private:
  std::weak_ptr<EventFeed::State> feed_;
  std::vector<TenantSpace> spaces_;
  long long after_;
};

}  // namespace

EventFeed::EventFeed(AuditLog& audit, EventFeedOptions options) : state_(std::make_shared<State>(audit, options)) {}

EventFeed::~EventFeed() {
  std::thread reader;
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    reader = std::move(state_->reader);
  }
  state_->wake.notify_all();
  if (reader.joinable()) reader.join();
  std::lock_guard lock(state_->mu);
  for (auto& s : state_->subscribers) s->sink->End();
  state_->subscribers.clear();
}

Result<std::shared_ptr<ResponseStream>> EventFeed::Open(std::vector<TenantSpace> spaces, std::optional<long long> after) {
  if (!after) {
    // "From now" is fixed here, so what is recorded once the client has
    // its answer's head is sent, whenever the reader next looks.
    ICB_ASSIGN_OR_RETURN(long long newest, state_->audit.Newest());
    after = newest;
  }
  return std::shared_ptr<ResponseStream>(std::make_shared<AuditStream>(state_, std::move(spaces), *after));
}

size_t EventFeed::open_streams() const {
  std::lock_guard lock(state_->mu);
  return state_->subscribers.size();
}

}  // namespace icb
