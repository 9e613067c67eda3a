#include "broker/qos/asio_probe_runner.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace icb {

std::optional<ProbeUrl> ParseProbeUrl(std::string_view url) {
  ProbeUrl u;
  // No spaces or control characters: the target goes into a request line.
  if (url.size() > 2048 || std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return std::nullopt;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    u.port = "80";
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    u.port = "443";
    u.tls = true;
  } else if (url.starts_with("tcp://")) {
    rest = url.substr(6);
    u.connect_only = true;
  } else {
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  auto parts = SplitAuthority(authority);
  if (!parts) return std::nullopt;
  u.host_header = std::string(authority);
  u.host = std::move(parts->host);
  if (parts->port) u.port = std::move(*parts->port);
  if (u.host.empty() || u.port.empty() || u.port.size() > 5 || u.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(u.port) > 65535)
    return std::nullopt;
  return u;
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Steady = std::chrono::steady_clock;
// A connection to a probe target: plain, or TLS over TCP.
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Connection = std::variant<beast::tcp_stream, TlsStream>;

// A probe's GET, kept alive (HTTP/1.1's default). Written as text rather
// than through Beast's serializer, which cost a tenth of the broker's CPU
// per probe (perf, scripts/bench-probes): the URL's parts were checked by
// ParseProbeUrl (no spaces or control characters), and a vantage's control
// characters are replaced, so nothing here can end the head early.
std::string RequestText(const ProbeUrl& url, const std::string& vantage) {
  std::string text;
  text.reserve(80 + url.target.size() + url.host_header.size() + vantage.size());
  text.append("GET ").append(url.target).append(" HTTP/1.1\r\nHost: ").append(url.host_header).append("\r\nUser-Agent: icbroker-probe");
  if (!vantage.empty()) {
    text.append(" (vantage ");
    for (char c : vantage) text += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    text += ')';
  }
  text.append("\r\n\r\n");
  return text;
}

beast::tcp_stream& TcpOf(Connection& c) {
  if (auto* plain = std::get_if<beast::tcp_stream>(&c)) return *plain;
  return beast::get_lowest_layer(std::get<TlsStream>(c));
}

class AsioProbeRunner;

// One probe: admitted to its origin's connections (or waiting for one),
// then (an idle connection, or resolve, connect and for https:// a TLS
// handshake), send, read, judge; a reused connection the server closed
// meanwhile is retried once on a fresh one. Its handlers run one after
// another on its stream's strand.
class ProbeCall : public std::enable_shared_from_this<ProbeCall> {
 public:
  ProbeCall(AsioProbeRunner& runner, std::shared_ptr<const ProbeTarget> target, ProbeUrl url, AsyncProbeRunner::Done done);
  // Runs once admitted; it holds one of its origin's connection slots until
  // it finishes.
  void Begin();
  // Its timeout passed while it waited for a slot.
  void TimedOut() { Finish(FailedProbe(*target_, ProbeError::kTimeout)); }
  const std::string& origin() const { return origin_; }
  Steady::time_point deadline() const { return deadline_; }
  bool holds_slot = false;  // set under the runner's lock, before Begin

 private:
  void Resolve();
  void Connect(const tcp::resolver::results_type& endpoints);
  void Handshake();
  void Send();
  void Read();
  void Answered();
  // A transport error: a timeout, or no connection (a stale reused one is
  // retried first).
  void Failed(const beast::error_code& ec, bool answer_started);
  void Finish(QosSample sample);
  double ElapsedMs() const { return std::chrono::duration<double, std::milli>(Steady::now() - started_).count(); }

  AsioProbeRunner& runner_;
  std::shared_ptr<const ProbeTarget> target_;
  ProbeUrl url_;
  std::string origin_;
  AsyncProbeRunner::Done done_;
  // Started: when it got its slot (its latency counts from there); the
  // deadline: its timeout from when it was handed to the runner.
  Steady::time_point started_, deadline_;
  tcp::resolver resolver_;
  std::optional<Connection> stream_;
  bool reused_ = false;
  beast::flat_buffer buffer_;
  std::string request_;  // the request's text, sent whole
  std::optional<http::response_parser<http::string_body>> parser_;
};

class AsioProbeRunner final : public AsyncProbeRunner {
 public:
  AsioProbeRunner(const AsioProbeOptions& o, ssl::context tls) : options_(o), tls_(std::move(tls)), work_(asio::make_work_guard(io_)) {
    for (int i = 0; i < std::max(1, o.threads); ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~AsioProbeRunner() override {
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    {
      std::lock_guard lock(mu_);
      origins_.clear();
    }
  }

  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override {
    auto url = ParseProbeUrl(target->url);
    if (!url) {
      asio::post(io_, [target, done = std::move(done)] { done(FailedProbe(*target, ProbeError::kConnect)); });
      return;
    }
    auto call = std::make_shared<ProbeCall>(*this, std::move(target), std::move(*url), std::move(done));
    {
      std::lock_guard lock(mu_);
      Origin& origin = origins_[call->origin()];
      if (origin.active >= options_.connections_per_origin) {
        origin.waiting.push_back(std::move(call));
        ArmSweepLocked(origin.waiting.back()->deadline());
        return;
      }
      ++origin.active;
      call->holds_slot = true;
    }
    asio::post(io_, [call] { call->Begin(); });
  }

  // A call that held a slot of `origin` finished: the first waiting one
  // still within its timeout takes the slot; those past it fail as timeouts.
  void Release(const std::string& origin_key) {
    std::vector<std::shared_ptr<ProbeCall>> expired;
    std::shared_ptr<ProbeCall> next;
    {
      std::lock_guard lock(mu_);
      auto it = origins_.find(origin_key);
      if (it == origins_.end()) return;
      Origin& origin = it->second;
      const auto now = Steady::now();
      while (!next && !origin.waiting.empty()) {
        auto call = std::move(origin.waiting.front());
        origin.waiting.pop_front();
        if (call->deadline() <= now) {
          expired.push_back(std::move(call));
        } else {
          call->holds_slot = true;
          next = std::move(call);
        }
      }
      if (!next) --origin.active;
      if (origin.unused()) origins_.erase(it);
    }
    for (auto& call : expired) call->TimedOut();
    if (next) asio::post(io_, [next] { next->Begin(); });
  }

  asio::io_context& io() { return io_; }
  ssl::context& tls() { return tls_; }
  const AsioProbeOptions& options() const { return options_; }

  // An idle connection to `origin` still within idle_for, if any.
  // (The caller holds a slot of `origin`, so its entry is there.)
  std::optional<Connection> TakeIdle(const std::string& origin) {
    std::lock_guard lock(mu_);
    auto& list = origins_[origin].idle;
    const auto now = Steady::now();
    while (!list.empty()) {
      Idle i = std::move(list.back());
      list.pop_back();
      if (now - i.since <= options_.idle_for) return std::move(i.stream);
    }
    return std::nullopt;
  }
  void PutIdle(const std::string& origin, Connection stream) {
    std::lock_guard lock(mu_);
    auto& list = origins_[origin].idle;
    if (list.size() >= options_.idle_per_origin) return;  // closed as it goes
    list.push_back({std::move(stream), Steady::now()});
  }

 private:
  struct Idle {
    Connection stream;
    Steady::time_point since;
  };
  // One scheme, host and port: its probes holding a connection slot, its
  // idle kept-alive connections, and the probes waiting for a slot.
  struct Origin {
    size_t active = 0;
    std::vector<Idle> idle;
    std::deque<std::shared_ptr<ProbeCall>> waiting;
    bool unused() const { return active == 0 && idle.empty() && waiting.empty(); }
  };

  // Waiting probes whose timeout passed fail without waiting for a slot:
  // the sweep runs at the earliest waiting deadline (no sooner than 10 ms
  // after the last), one timer for the whole runner.
  void ArmSweepLocked(Steady::time_point at) {
    if (sweep_armed_ && at >= sweep_at_) return;
    sweep_armed_ = true;
    sweep_at_ = at;
    sweep_.expires_at(at);  // a wait pending for later is cancelled
    sweep_.async_wait([this](const beast::error_code& ec) {
      if (ec != asio::error::operation_aborted) Sweep();
    });
  }
  void Sweep() {
    std::vector<std::shared_ptr<ProbeCall>> expired;
    {
      std::lock_guard lock(mu_);
      sweep_armed_ = false;
      const auto now = Steady::now();
      std::optional<Steady::time_point> earliest;
      for (auto it = origins_.begin(); it != origins_.end();) {
        std::deque<std::shared_ptr<ProbeCall>> kept;
        for (auto& call : it->second.waiting) {
          if (call->deadline() <= now) {
            expired.push_back(std::move(call));
          } else {
            earliest = earliest ? std::min(*earliest, call->deadline()) : call->deadline();
            kept.push_back(std::move(call));
          }
        }
        it->second.waiting.swap(kept);
        it = it->second.unused() ? origins_.erase(it) : std::next(it);
      }
      if (earliest) ArmSweepLocked(std::max(*earliest, now + std::chrono::milliseconds(10)));
    }
    for (auto& call : expired) call->TimedOut();
  }

  AsioProbeOptions options_;
  ssl::context tls_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::map<std::string, Origin> origins_;
  asio::steady_timer sweep_{io_};
  bool sweep_armed_ = false;
  Steady::time_point sweep_at_;
};

ProbeCall::ProbeCall(AsioProbeRunner& runner, std::shared_ptr<const ProbeTarget> target, ProbeUrl url, AsyncProbeRunner::Done done)
    : runner_(runner),
      target_(std::move(target)),
      url_(std::move(url)),
      origin_(url_.origin()),
      done_(std::move(done)),
      deadline_(Steady::now() + target_->settings.timeout),
      resolver_(runner.io()) {}

void ProbeCall::Begin() {
  started_ = Steady::now();
  if (started_ >= deadline_) return Finish(FailedProbe(*target_, ProbeError::kTimeout));
  if (!url_.connect_only) {
    request_ = RequestText(url_, target_->vantage);
    if (auto idle = runner_.TakeIdle(origin_)) {
      stream_.emplace(std::move(*idle));
      reused_ = true;
      Send();
      return;
    }
  }
  Resolve();
}

void ProbeCall::Resolve() {
  reused_ = false;
  // A host name's lookup runs on Asio's resolver thread; the timeout still
  // bounds the probe: a lookup that outlives it is answered as a timeout
  // by the connect that follows (its deadline has passed).
  resolver_.async_resolve(url_.host, url_.port, [self = shared_from_this()](const beast::error_code& ec, tcp::resolver::results_type r) {
    if (ec) return self->Finish(FailedProbe(*self->target_, ProbeError::kConnect));
    // The addresses connected to are these, checked: no second lookup.
    if (const NetworkPolicy* network = self->runner_.options().network)
      for (const auto& entry : r) {
        const auto address = entry.endpoint().address();
        IpAddress ip;
        ip.v6 = address.is_v6();
        if (ip.v6) ip.bytes = address.to_v6().to_bytes();
        else std::ranges::copy(address.to_v4().to_bytes(), ip.bytes.begin());
        if (!network->Check(ip).ok()) return self->Finish(FailedProbe(*self->target_, ProbeError::kConnect));
      }
    self->Connect(r);
  });
}

void ProbeCall::Connect(const tcp::resolver::results_type& endpoints) {
  stream_.emplace(std::in_place_type<beast::tcp_stream>, asio::make_strand(runner_.io()));
  if (Steady::now() >= deadline_) return Finish(FailedProbe(*target_, ProbeError::kTimeout));
  auto& plain = std::get<beast::tcp_stream>(*stream_);
  plain.expires_at(deadline_);
  plain.async_connect(endpoints, [self = shared_from_this()](const beast::error_code& ec, const tcp::endpoint&) {
    if (ec) return self->Failed(ec, false);
    if (self->url_.connect_only) {
      QosSample s = FailedProbe(*self->target_, ProbeError::kNone);
      s.ok = true;
      s.latency_ms = self->ElapsedMs();
      beast::error_code ignored;
      TcpOf(*self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      return self->Finish(s);
    }
    if (self->url_.tls) return self->Handshake();
    self->Send();
  });
}

void ProbeCall::Handshake() {
  beast::tcp_stream plain = std::move(std::get<beast::tcp_stream>(*stream_));
  auto& tls = stream_->emplace<TlsStream>(std::move(plain), runner_.tls());
  // SNI for a name (never for an address literal), and the certificate must
  // name the host the URL names.
  boost::system::error_code not_an_address;
  asio::ip::make_address(url_.host, not_an_address);
  if (not_an_address && !SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str()))
    return Finish(FailedProbe(*target_, ProbeError::kConnect));
  tls.set_verify_callback(ssl::host_name_verification(url_.host));
  tls.async_handshake(ssl::stream_base::client, [self = shared_from_this()](const beast::error_code& ec) {
    // A certificate that does not verify, or no TLS there: not reachable as
    // the URL says.
    if (ec) return self->Failed(ec, false);
    self->Send();
  });
}

void ProbeCall::Send() {
  TcpOf(*stream_).expires_at(deadline_);
  std::visit(
      [self = shared_from_this()](auto& stream) {
        asio::async_write(stream, asio::buffer(self->request_), [self](const beast::error_code& ec, size_t) {
          if (ec) return self->Failed(ec, false);
          self->Read();
        });
      },
      *stream_);
}

void ProbeCall::Read() {
  parser_.emplace();
  parser_->body_limit(runner_.options().body_limit);
  parser_->header_limit(16 * 1024);
  buffer_.clear();
  std::visit(
      [self = shared_from_this()](auto& stream) {
        http::async_read(stream, self->buffer_, *self->parser_, [self](const beast::error_code& ec, size_t) {
          if (ec == http::error::body_limit) {
            QosSample s = FailedProbe(*self->target_, ProbeError::kBody);
            s.status = self->parser_->get().result_int();
            return self->Finish(s);
          }
          if (ec) return self->Failed(ec, self->parser_->got_some());
          self->Answered();
        });
      },
      *stream_);
}

void ProbeCall::Answered() {
  const auto& answer = parser_->get();
  QosSample s = JudgeHttpAnswer(*target_, answer.result_int(), answer.body(), ElapsedMs());
  if (answer.keep_alive() && parser_->is_done()) {
    TcpOf(*stream_).expires_never();
    runner_.PutIdle(origin_, std::move(*stream_));
    stream_.reset();
  }
  Finish(s);
}

void ProbeCall::Failed(const beast::error_code& ec, bool answer_started) {
  if (ec == beast::error::timeout) return Finish(FailedProbe(*target_, ProbeError::kTimeout));
  // A kept-alive connection the server closed while it sat idle fails at
  // once, before any answer: the same request on a fresh one.
  if (reused_ && !answer_started) {
    stream_.reset();
    return Resolve();
  }
  // Refused, reset, or closed mid-answer: the connection failed.
  Finish(FailedProbe(*target_, ProbeError::kConnect));
}

void ProbeCall::Finish(QosSample sample) {
  if (!done_) return;
  auto done = std::move(done_);
  done_ = nullptr;
  // Its connection (if kept) is idle now: the next waiting probe may take it.
  if (holds_slot) runner_.Release(origin_);
  done(std::move(sample));
}

}  // namespace

Result<std::unique_ptr<AsyncProbeRunner>> NewAsioProbeRunner(const AsioProbeOptions& options) {
  ssl::context tls(ssl::context::tls_client);
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                  ssl::context::no_tlsv1_1);
  tls.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (options.ca_file.empty()) tls.set_default_verify_paths(ec);
  else tls.load_verify_file(options.ca_file, ec);
  if (ec) return InvalidArgument("probe CAs " + (options.ca_file.empty() ? std::string("(system)") : options.ca_file) + ": " + ec.message());
  return std::unique_ptr<AsyncProbeRunner>(std::make_unique<AsioProbeRunner>(options, std::move(tls)));
}

}  // namespace icb
