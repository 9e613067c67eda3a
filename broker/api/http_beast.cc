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

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>

#include "broker/api/gzip.h"
#include "broker/api/http.h"

namespace icb {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

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

// Mozilla's "intermediate" TLS 1.2 suites (forward secret, AEAD); TLS 1.3's
// are all of that kind and OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status TlsFileError(const char* flag, const std::string& file, const beast::error_code& ec) {
  return InvalidArgument(std::string("cannot use ") + flag + " " + file + ": " + ec.message());
}

// A server context from the PEM files; errors name the flag and file, never
// what the files hold.
Result<std::shared_ptr<ssl::context>> LoadTls(const TlsFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1 | ssl::context::no_compression);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) return Internal("TLS: the cipher list was refused");
  beast::error_code ec;
  // The key first: a certificate that does not match it is then told apart
  // below, in words, from a file that cannot be read.
  ctx->use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec) return TlsFileError("--tls-key", files.key_file, ec);
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec) return TlsFileError("--tls-cert", files.cert_file, ec);
  if (SSL_CTX_check_private_key(native) != 1) return InvalidArgument("--tls-key " + files.key_file + " is not the key of --tls-cert " + files.cert_file);
  if (!files.client_ca_file.empty()) {
    ctx->load_verify_file(files.client_ca_file, ec);
    if (ec) return TlsFileError("--tls-client-ca", files.client_ca_file, ec);
    // Tell clients which CAs to present a certificate of.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str())) SSL_CTX_set_client_CA_list(native, names);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    // Resumed sessions keep their verified client (OpenSSL refuses to
    // resume with peer verification and no session id context).
    static const unsigned char kContext[] = "icbroker";
    SSL_CTX_set_session_id_context(native, kContext, sizeof kContext - 1);
  }
  return ctx;
}

class BeastServer;

// What the server keeps of each connection: the connection cap and the
// eviction of the longest-idle one work on these.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Closes the connection if it is waiting for a request (not mid-request).
  virtual bool CloseIfIdle() = 0;
  bool idle() const { return idle_.load(std::memory_order_acquire); }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  std::list<std::weak_ptr<SessionBase>>::iterator slot;

 protected:
  std::atomic<bool> idle_{true};
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
};

// One connection, plain (PlainStream) or TLS (TlsStream).
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  // `tls`: the context of a TLS connection (kept while it lives).
  Session(tcp::socket socket, BeastServer& server, std::shared_ptr<ssl::context> tls);
  void Start() override;
  bool CloseIfIdle() override;

 private:
  static Stream MakeStream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  // TLS: plain HTTP is answered in plain and closed; else the handshake.
  void Handshake();
  void WaitForRequest();
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void Respond(HttpResponse r, bool keep_alive);
  void Finish(beast::error_code ec, bool keep_alive);
  void Close();
  void RefuseAndClose(HttpResponse problem);
  // A streamed answer (HttpResponse::stream): the head, then each chunk
  // its sink is given, in order, until it ends or the client goes.
  class Sink;
  void StartStream(HttpResponse r);
  void QueueChunk(std::string chunk);
  void EndStream();
  void WriteNextChunk();

  std::shared_ptr<ssl::context> tls_;  // before stream_, which refers to it
  Stream stream_;
  BeastServer& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;  // kept alive while it is written
  HttpRequest request_;
  bool closed_ = false;
  // While streaming (on the strand):
  std::shared_ptr<Sink> sink_;
  std::deque<std::string> unwritten_;
  bool writing_ = false, ending_ = false;
};

template <class Stream>
class Session<Stream>::Sink final : public StreamSink {
 public:
  explicit Sink(std::weak_ptr<Session> session) : session_(std::move(session)) {}
  bool Write(std::string chunk) override {
    if (chunk.empty()) return !gone_.load();
    auto s = session_.lock();
    if (!s || gone_.load()) return false;
    if (unwritten_bytes_.fetch_add(chunk.size()) + chunk.size() > kMostUnwritten) {
      // A client that does not read: let it go rather than hold its backlog.
      gone_.store(true);
      asio::post(s->stream_.get_executor(), [s] { s->Close(); });
      return false;
    }
    asio::post(s->stream_.get_executor(), [s, chunk = std::move(chunk)]() mutable { s->QueueChunk(std::move(chunk)); });
    return true;
  }
  void End() override {
    if (auto s = session_.lock()) asio::post(s->stream_.get_executor(), [s] { s->EndStream(); });
  }
  void Written(size_t n) { unwritten_bytes_.fetch_sub(n); }
  void Gone() { gone_.store(true); }

 private:
  std::weak_ptr<Session> session_;
  std::atomic<bool> gone_{false};
  std::atomic<size_t> unwritten_bytes_{0};
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(int threads, HttpServerLimits limits, std::optional<TlsFiles> tls_files)
      : threads_(std::max(1, threads)), limits_(limits), tls_files_(std::move(tls_files)), ioc_(threads_) {}
  ~BeastServer() override { Stop(); }

  Status Start(const std::string& host, int port, HttpHandler handler) override {
    handler_ = std::move(handler);
    if (tls_files_) {
      ICB_ASSIGN_OR_RETURN(auto loaded, LoadTls(*tls_files_));
      std::lock_guard lock(mu_);
      tls_ = std::move(loaded);
    }
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

  Status ReloadTls() override {
    if (!tls_files_) return Status(StatusCode::kFailedPrecondition, "the server has no TLS (--tls-cert, --tls-key) to reload");
    ICB_ASSIGN_OR_RETURN(auto loaded, LoadTls(*tls_files_));
    std::lock_guard lock(mu_);
    tls_ = std::move(loaded);  // connections open keep the context they began with
    return Status::Ok();
  }

  const HttpServerLimits& limits() const { return limits_; }
  const HttpHandler& handler() const { return handler_; }

  void Forget(SessionBase& s) {
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
    std::shared_ptr<SessionBase> session;
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
      if (tls_) session = std::make_shared<Session<TlsStream>>(std::move(socket), *this, tls_);
      else session = std::make_shared<Session<PlainStream>>(std::move(socket), *this, nullptr);
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
    std::shared_ptr<SessionBase> oldest;
    for (auto& w : sessions_) {
      auto s = w.lock();
      if (s && s->idle() && (!oldest || s->idle_since() < oldest->idle_since())) oldest = s;
    }
    return oldest && oldest->CloseIfIdle();
  }

  int threads_;
  HttpServerLimits limits_;
  std::optional<TlsFiles> tls_files_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  HttpHandler handler_;
  std::vector<std::thread> pool_;
  std::mutex mu_;
  std::list<std::weak_ptr<SessionBase>> sessions_;
  std::shared_ptr<ssl::context> tls_;  // under mu_: the context new connections get
  size_t max_connections_ = 0;
  int port_ = 0;
  int spare_fd_ = -1;
};

template <class Stream>
Session<Stream>::Session(tcp::socket socket, BeastServer& server, std::shared_ptr<ssl::context> tls)
    : tls_(std::move(tls)), stream_(MakeStream(std::move(socket), tls_.get())), server_(server) {}

template <class Stream>
void Session<Stream>::Start() {
  asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (kTls) {
      self->Handshake();
    } else {
      self->WaitForRequest();
    }
  });
}

template <class Stream>
void Session<Stream>::Handshake() {
  // The same time a request's header has: a client that connects and says
  // nothing is closed as one that sends half a header is.
  Lowest().expires_after(server_.limits().header_timeout);
  beast::async_detect_ssl(Lowest(), buffer_, [self = this->shared_from_this()](beast::error_code ec, bool is_tls) {
    if (ec) return self->Close();
    if (!is_tls) {
      // Plain HTTP at the TLS port (an http:// URL): told so in its own
      // terms, as nginx's 497 does, then closed.
      static const std::string kPlain = [] {
        std::string body = ProblemResponse(InvalidArgument("this port speaks TLS only: use https://")).body;
        return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nConnection: close\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
      }();
      self->idle_.store(false);
      return asio::async_write(self->Lowest(), asio::buffer(kPlain), [self](beast::error_code, size_t) { self->Close(); });
    }
    self->stream_.async_handshake(ssl::stream_base::server, self->buffer_.data(), [self](beast::error_code hec, size_t used) {
      if (hec) return self->Close();  // a client that does not trust us, or speaks no TLS we offer
      self->buffer_.consume(used);
      self->WaitForRequest();
    });
  });
}

template <class Stream>
bool Session<Stream>::CloseIfIdle() {
  if (!idle_.exchange(false)) return false;
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
    beast::error_code ec;
    self->Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    self->Lowest().socket().close(ec);
  });
  return true;
}

// Between requests the connection is idle (evictable) until a byte arrives.
template <class Stream>
void Session<Stream>::WaitForRequest() {
  idle_since_ = std::chrono::steady_clock::now();
  idle_.store(true, std::memory_order_release);
  if (buffer_.size() > 0) return ReadHeader();  // pipelined bytes already here
  Lowest().expires_after(server_.limits().idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
    if (ec) return self->Close();
    self->buffer_.commit(n);
    self->ReadHeader();
  });
}

template <class Stream>
void Session<Stream>::ReadHeader() {
  if (!idle_.exchange(false)) return Close();  // evicted while the byte arrived
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.limits().max_header_bytes));
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // set per route once the target is known
  Lowest().expires_after(server_.limits().header_timeout);
  http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

template <class Stream>
void Session<Stream>::OnHeader(beast::error_code ec) {
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
    return http::async_write(stream_, *cont, [self = this->shared_from_this()](beast::error_code wec, size_t) {
      if (wec) return self->Close();
      self->ReadBody();
    });
  }
  ReadBody();
}

template <class Stream>
void Session<Stream>::ReadBody() {
  Lowest().expires_after(server_.limits().body_timeout);
  http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
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

template <class Stream>
void Session<Stream>::Respond(HttpResponse r, bool keep_alive) {
  if (r.stream) return StartStream(std::move(r));
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
  Lowest().expires_after(server_.limits().body_timeout);  // a client that does not read its answer
  http::async_write(stream_, *res, [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) { self->Finish(ec, keep_alive); });
}

template <class Stream>
void Session<Stream>::Finish(beast::error_code ec, bool keep_alive) {
  response_.reset();
  if (ec || !keep_alive) return Close();
  WaitForRequest();
}

template <class Stream>
void Session<Stream>::StartStream(HttpResponse r) {
  auto head = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(r.status), 11);
  if (!r.content_type.empty()) head->set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) head->insert(k, v);
  head->keep_alive(false);
  head->chunked(true);
  auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
  response_ = std::make_shared<std::pair<decltype(head), decltype(serializer)>>(head, serializer);
  Lowest().expires_after(server_.limits().body_timeout);
  http::async_write_header(stream_, *serializer, [self = this->shared_from_this(), stream = std::move(r.stream)](beast::error_code ec, size_t) {
    if (ec) return self->Close();
    // No deadline while nothing is being written: a stream waits for events.
    self->Lowest().expires_never();
    self->sink_ = std::make_shared<Sink>(self);
    // The client has nothing more to send: its read ends when it goes away.
    self->stream_.async_read_some(self->buffer_.prepare(512), [self](beast::error_code, size_t) { self->Close(); });
    stream->Open(self->sink_);
  });
}

template <class Stream>
void Session<Stream>::QueueChunk(std::string chunk) {
  if (closed_) return;
  unwritten_.push_back(std::move(chunk));
  WriteNextChunk();
}

template <class Stream>
void Session<Stream>::EndStream() {
  ending_ = true;
  WriteNextChunk();
}

template <class Stream>
void Session<Stream>::WriteNextChunk() {
  if (writing_ || closed_) return;
  Lowest().expires_after(server_.limits().body_timeout);  // a client that stops reading
  if (unwritten_.empty()) {
    if (!ending_) return Lowest().expires_never();
    writing_ = true;
    auto last = std::make_shared<decltype(http::make_chunk_last())>(http::make_chunk_last());
    return asio::async_write(stream_, *last, [self = this->shared_from_this(), last](beast::error_code, size_t) { self->Close(); });
  }
  writing_ = true;
  auto chunk = std::make_shared<std::string>(std::move(unwritten_.front()));
  unwritten_.pop_front();
  asio::async_write(stream_, http::make_chunk(asio::buffer(*chunk)), [self = this->shared_from_this(), chunk](beast::error_code ec, size_t) {
    self->writing_ = false;
    self->sink_->Written(chunk->size());
    if (ec) return self->Close();
    self->WriteNextChunk();
  });
}

template <class Stream>
void Session<Stream>::RefuseAndClose(HttpResponse problem) { Respond(std::move(problem), false); }

template <class Stream>
void Session<Stream>::Close() {
  idle_.store(false);
  if (closed_) return;
  closed_ = true;
  if (sink_) sink_->Gone();
  beast::error_code ec;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
  Lowest().socket().close(ec);
  server_.Forget(*this);
}

}  // namespace

std::unique_ptr<HttpServer> NewBeastHttpServer(int threads, HttpServerLimits limits, std::optional<TlsFiles> tls) {
  return std::make_unique<BeastServer>(threads, limits, std::move(tls));
}

}  // namespace icb
