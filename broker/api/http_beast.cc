// The server half of the HTTP seam on Boost.Beast. cpprestsdk's listener
// reads headers of any size (one 64 MiB header was read whole and answered
// 200), has no cap on connections or timeouts for idle and slow clients (1,100
// idle connections under a 1,024 descriptor limit starved every other client
// and spun the acceptor), throws on a bad percent escape before our code runs,
// and writes answers in 4 KiB pieces. Beast gives the limits and timeouts
// as parser and stream settings; what they do not cover (the connection cap,
// evicting the longest-idle connection, descriptor exhaustion) is here.
#include <sys/resource.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "broker/api/gzip.h"
#include "broker/api/http.h"

namespace icb {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Smaller answers are not worth compressing.
constexpr size_t kGzipFrom = 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Raises the soft descriptor limit to the hard one (what a server may use
// without privileges) and returns it.
size_t DescriptorLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  return rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : static_cast<size_t>(rl.rlim_cur);
}

// Descriptors kept for everything that is not a client connection: the
// store's pool, the embedded Redis, probes, adapters, files.
constexpr size_t kReservedDescriptors = 128;

class BeastServer;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, BeastServer& server);
  void Start();
  // Closes the connection if it is waiting for a request (not mid-request).
  bool CloseIfIdle();
  bool idle() const { return idle_.load(std::memory_order_acquire); }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  std::list<std::weak_ptr<Session>>::iterator slot;

 private:
  void WaitForRequest();
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void Respond(HttpResponse r, bool keep_alive);
  void Finish(beast::error_code ec, bool keep_alive);
  void Close();
  void RefuseAndClose(HttpResponse problem);

  beast::tcp_stream stream_;
  BeastServer& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;  // kept alive while it is written
  HttpRequest request_;
  std::atomic<bool> idle_{true};
  bool closed_ = false;
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(int threads, HttpServerLimits limits) : threads_(std::max(1, threads)), limits_(limits), ioc_(threads_) {}
  ~BeastServer() override { Stop(); }

  Status Start(const std::string& host, int port, HttpHandler handler) override {
    handler_ = std::move(handler);
    size_t descriptors = DescriptorLimit();
    size_t fit = descriptors > kReservedDescriptors * 2 ? descriptors - kReservedDescriptors : descriptors / 2;
    max_connections_ = std::min(limits_.max_connections, fit);
    beast::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return InvalidArgument("cannot listen on " + host + ": not an IP address");
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(1024, ec);
    if (ec == asio::error::address_in_use)
      return Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                         ": the port is in use (another broker, scripts/run-demo perhaps?); --listen HOST:PORT picks another");
    if (ec) return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    Accept();
    for (int i = 0; i < threads_; ++i) pool_.emplace_back([this] { ioc_.run(); });
    return Status::Ok();
  }

  void Stop() override {
    if (pool_.empty()) return;
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    {
      std::lock_guard lock(mu_);
      for (auto& w : sessions_)
        if (auto s = w.lock()) s->CloseIfIdle();
    }
    ioc_.stop();
    for (auto& t : pool_) t.join();
    pool_.clear();
    if (spare_fd_ >= 0) ::close(spare_fd_);
    spare_fd_ = -1;
  }

  int port() const override { return port_; }

  const HttpServerLimits& limits() const { return limits_; }
  const HttpHandler& handler() const { return handler_; }

  void Forget(Session& s) {
    std::lock_guard lock(mu_);
    sessions_.erase(s.slot);
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        // Out of descriptors: free the spare, take the waiting connection
        // and close it at once, so the acceptor does not spin on it; then
        // make room by closing the longest-idle connection.
        if (spare_fd_ >= 0) ::close(spare_fd_);
        beast::error_code ignored;
        tcp::socket drop(ioc_);
        acceptor_.accept(drop, ignored);
        drop.close(ignored);
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        EvictIdle();
      } else if (!ec) {
        Admit(std::move(socket));
      }
      Accept();
    });
  }

  void Admit(tcp::socket socket) {
    std::shared_ptr<Session> session;
    {
      std::lock_guard lock(mu_);
      // Live sessions only; closed ones leave their slot on the way out.
      if (sessions_.size() >= max_connections_ && !EvictIdleLocked()) {
        // Everyone is mid-request: this one waits for a later try.
        static const std::string kBusy = [] {
          std::string body = ProblemResponse(Unavailable("too many connections, all of them mid-request; try again")).body;
          return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nConnection: close\r\nRetry-After: 1\r\n"
                 "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        }();
        beast::error_code ignored;
        socket.non_blocking(true, ignored);  // never wait on a client here
        asio::write(socket, asio::buffer(kBusy), ignored);
        socket.close(ignored);
        return;
      }
      session = std::make_shared<Session>(std::move(socket), *this);
      sessions_.push_back(session);
      session->slot = std::prev(sessions_.end());
    }
    session->Start();
  }

  void EvictIdle() {
    std::lock_guard lock(mu_);
    EvictIdleLocked();
  }

  // Closes the connection that has waited longest for its next request.
  bool EvictIdleLocked() {
    std::shared_ptr<Session> oldest;
    for (auto& w : sessions_) {
      auto s = w.lock();
      if (s && s->idle() && (!oldest || s->idle_since() < oldest->idle_since())) oldest = s;
    }
    return oldest && oldest->CloseIfIdle();
  }

  int threads_;
  HttpServerLimits limits_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  HttpHandler handler_;
  std::vector<std::thread> pool_;
  std::mutex mu_;
  std::list<std::weak_ptr<Session>> sessions_;
  size_t max_connections_ = 0;
  int port_ = 0;
  int spare_fd_ = -1;
};

Session::Session(tcp::socket socket, BeastServer& server) : stream_(std::move(socket)), server_(server) {}

void Session::Start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
}

bool Session::CloseIfIdle() {
  if (!idle_.exchange(false)) return false;
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    self->stream_.socket().close(ec);
  });
  return true;
}

// Between requests the connection is idle (evictable) until a byte arrives.
void Session::WaitForRequest() {
  idle_since_ = std::chrono::steady_clock::now();
  idle_.store(true, std::memory_order_release);
  if (buffer_.size() > 0) return ReadHeader();  // pipelined bytes already here
  stream_.expires_after(server_.limits().idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
    if (ec) return self->Close();
    self->buffer_.commit(n);
    self->ReadHeader();
  });
}

void Session::ReadHeader() {
  if (!idle_.exchange(false)) return Close();  // evicted while the byte arrived
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.limits().max_header_bytes));
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // set per route once the target is known
  stream_.expires_after(server_.limits().header_timeout);
  http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void Session::OnHeader(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    // Which part was too long: the request line (414: the parser never got
    // to its end, so there is no target yet) or the fields (431).
    const auto& limits = server_.limits();
    if (parser_->get().target().empty()) {
      return RefuseAndClose(TransportProblem(414, "request line exceeds the limit of " + std::to_string(limits.max_header_bytes) + " bytes (--max-header-bytes)"));
    }
    return RefuseAndClose(TransportProblem(431, "request header exceeds the limit of " + std::to_string(limits.max_header_bytes) + " bytes (--max-header-bytes)"));
  }
  // A header or body that does not arrive in time: the stream has already
  // closed the connection (as nginx does), so there is nobody to answer.
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) return Close();
  if (ec) return RefuseAndClose(ProblemResponse(InvalidArgument("malformed HTTP request: " + ec.message())));

  const auto& header = parser_->get();
  request_ = HttpRequest();
  if (header.target().size() > server_.limits().max_request_line) {
    return RefuseAndClose(TransportProblem(414, "request target exceeds the limit of " + std::to_string(server_.limits().max_request_line) + " bytes (--max-request-line)"));
  }
  request_.method = std::string(header.method_string());
  if (Status t = ParseRequestTarget(std::string_view(header.target().data(), header.target().size()), request_); !t.ok()) {
    return Respond(ProblemResponse(t), header.keep_alive());
  }
  for (const auto& field : header) {
    auto name = field.name_string();
    request_.headers[Lower(std::string_view(name.data(), name.size()))] = std::string(field.value());
  }

  size_t limit = server_.handler().body_limit(request_.method, request_.path);
  auto length = parser_->content_length();
  if (length && *length > limit) {
    // Refused on the declared length, unread: the connection cannot be reused.
    return RefuseAndClose(ProblemResponse(Status(StatusCode::kResourceExhausted, "request body exceeds the limit of " + std::to_string(limit) + " bytes")));
  }
  parser_->body_limit(limit);
  if (parser_->is_done()) {
    bool keep_alive = parser_->keep_alive();
    request_.body = parser_->release().body();
    return Respond(server_.handler().handle(request_), keep_alive);
  }
  if (beast::iequals(header[http::field::expect], "100-continue")) {
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
    response_ = cont;
    return http::async_write(stream_, *cont, [self = shared_from_this()](beast::error_code wec, size_t) {
      if (wec) return self->Close();
      self->ReadBody();
    });
  }
  ReadBody();
}

void Session::ReadBody() {
  stream_.expires_after(server_.limits().body_timeout);
  http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) {
      size_t limit = self->server_.handler().body_limit(self->request_.method, self->request_.path);
      return self->RefuseAndClose(ProblemResponse(Status(StatusCode::kResourceExhausted, "request body exceeds the limit of " + std::to_string(limit) + " bytes")));
    }
    if (ec) return self->Close();
    bool keep_alive = self->parser_->keep_alive();
    self->request_.body = self->parser_->release().body();
    self->Respond(self->server_.handler().handle(self->request_), keep_alive);
  });
}

void Session::Respond(HttpResponse r, bool keep_alive) {
  // Large answers go gzipped to clients that accept it.
  if (r.body.size() >= kGzipFrom) {
    auto accept = request_.headers.find("accept-encoding");
    if (accept != request_.headers.end() && AcceptsGzip(accept->second)) {
      if (auto packed = Gzip(r.body)) {
        r.body = std::move(*packed);
        r.headers.emplace_back("Content-Encoding", "gzip");
      }
    }
    r.headers.emplace_back("Vary", "Accept-Encoding");
  }
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
  if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res->insert(k, v);
  res->keep_alive(keep_alive);
  res->body() = std::move(r.body);
  res->prepare_payload();
  response_ = res;
  stream_.expires_after(server_.limits().body_timeout);  // a client that does not read its answer
  http::async_write(stream_, *res, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) { self->Finish(ec, keep_alive); });
}

void Session::Finish(beast::error_code ec, bool keep_alive) {
  response_.reset();
  if (ec || !keep_alive) return Close();
  WaitForRequest();
}

void Session::RefuseAndClose(HttpResponse problem) { Respond(std::move(problem), false); }

void Session::Close() {
  idle_.store(false);
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.socket().close(ec);
  server_.Forget(*this);
}

}  // namespace

std::unique_ptr<HttpServer> NewBeastHttpServer(int threads, HttpServerLimits limits) {
  return std::make_unique<BeastServer>(threads, limits);
}

}  // namespace icb
