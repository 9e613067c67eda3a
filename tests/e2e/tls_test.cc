// TLS through the binary: `serve --tls-cert --tls-key` as curl and openssl
// s_client see it (a certificate they verify; an expired one, another
// host's, another CA's and plain HTTP refused; nothing older than TLS 1.2
// and no suite without forward secrecy), SIGHUP reading a renewed
// certificate while a keep-alive connection goes on, client certificates
// (--tls-client-ca), and the CLI verifying the broker (--cacert). Every
// certificate is made here by the openssl command, for 127.0.0.1.
#include <gtest/gtest.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using testing::RunShell;

// A certificate authority and what it signs, as PEM files in `dir`.
class Certificates {
 public:
  explicit Certificates(std::string dir) : dir_(std::move(dir)) {}
  // A self-signed CA `name` (name.pem, name.key).
  void Authority(const std::string& name) {
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" + name + " -keyout " + Key(name) + " -out " + Cert(name));
  }
  // A leaf `name` signed by `ca` for `san` ("IP:127.0.0.1"); days < 0: expired.
  void Leaf(const std::string& name, const std::string& ca, const std::string& san, int days = 2, const std::string& usage = "serverAuth") {
    std::ofstream(dir_ + "/" + name + ".ext") << "subjectAltName=" << san << "\nextendedKeyUsage=" << usage << "\n";
    Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + name + " -keyout " + Key(name) + " -out " + dir_ + "/" + name + ".csr");
    Run("openssl x509 -req -in " + dir_ + "/" + name + ".csr -CA " + Cert(ca) + " -CAkey " + Key(ca) + " -CAcreateserial -days " + std::to_string(days) +
        " -extfile " + dir_ + "/" + name + ".ext -out " + Cert(name));
  }
  std::string Cert(const std::string& name) const { return dir_ + "/" + name + ".pem"; }
  std::string Key(const std::string& name) const { return dir_ + "/" + name + ".key"; }

 private:
  void Run(const std::string& command) {
    auto [code, out] = RunShell(command + " 2>&1");
    ASSERT_EQ(code, 0) << command << "\n" << out;
  }
  std::string dir_;
};

// One keep-alive HTTPS connection to 127.0.0.1:port that verifies the
// server against `ca_file`.
class TlsConnection {
 public:
  TlsConnection(int port, const std::string& ca_file) : ctx_(ssl::context::tls_client), stream_(io_, ctx_) {
    ctx_.load_verify_file(ca_file);
    stream_.set_verify_mode(ssl::verify_peer);  // the stream's own: made before the body ran
    stream_.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    asio::ip::tcp::endpoint at(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(stream_).connect(at);
    stream_.handshake(ssl::stream_base::client, error_);
  }
  bool ok() const { return !error_; }
  std::string error() const { return error_.message(); }
  // The status of GET `path` on this connection (0: it failed).
  int Get(const std::string& path) {
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    beast::error_code ec;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::write(stream_, req, ec);
    if (ec) return 0;
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res, ec);
    return ec ? 0 : res.result_int();
  }
  // The server certificate's common name.
  std::string PeerName() {
    X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
    if (!cert) return "";
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name);
    X509_free(cert);
    return name;
  }

 private:
  asio::io_context io_;
  ssl::context ctx_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
};

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : certs_(tmp_.path()) {
    certs_.Authority("ca");
    certs_.Authority("other-ca");
    certs_.Leaf("broker", "ca", "IP:127.0.0.1,DNS:localhost");
    data_ = tmp_.path() + "/data";
  }
  // curl's exit code and what it printed (-w: the status after the body).
  std::pair<int, std::string> Curl(const std::string& args) { return RunShell("curl -sS --max-time 20 -w ' %{http_code}' " + args + " 2>&1"); }
  std::string Url(int port, const std::string& path = "/v1/health") { return "https://127.0.0.1:" + std::to_string(port) + path; }

  testing::TempDir tmp_;
  Certificates certs_;
  std::string data_;
};

TEST_F(TlsTest, CurlAndOpensslVerifyTheBrokerAndEveryWrongCaseIsRefused) {
  certs_.Leaf("elsewhere", "ca", "DNS:other.example");
  testing::BrokerProcess broker({"--data-dir", data_, "--tls-cert", certs_.Cert("broker"), "--tls-key", certs_.Key("broker")}, tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  const int port = broker.port();
  const std::string p = std::to_string(port);

  auto [ok_code, ok] = Curl("--cacert " + certs_.Cert("ca") + " " + Url(port));
  EXPECT_EQ(ok_code, 0) << ok;
  EXPECT_NE(ok.find("\"status\":\"ok\""), std::string::npos) << ok;
  EXPECT_EQ(ok.substr(ok.size() - 4), " 200") << ok;
  // Another CA's trust: curl refuses (60: the peer's certificate was not verified).
  auto [ca_code, ca_out] = Curl("--cacert " + certs_.Cert("other-ca") + " " + Url(port));
  EXPECT_EQ(ca_code, 60) << ca_out;
  // Another name than the certificate's (resolved to loopback by curl itself).
  auto [host_code, host_out] = Curl("--cacert " + certs_.Cert("ca") + " --resolve wrong.example:" + p + ":127.0.0.1 https://wrong.example:" + p + "/v1/health");
  EXPECT_EQ(host_code, 60) << host_out;
  EXPECT_NE(host_out.find("wrong.example"), std::string::npos) << host_out;
  // Plain HTTP to the TLS port: a plain problem, then the connection closes.
  auto [plain_code, plain] = Curl("http://127.0.0.1:" + p + "/v1/health");
  EXPECT_EQ(plain_code, 0) << plain;
  EXPECT_NE(plain.find("use https://"), std::string::npos) << plain;
  EXPECT_EQ(plain.substr(plain.size() - 4), " 400") << plain;

  // openssl s_client: verified (for this IP), TLS 1.3 by default; TLS 1.1 and
  // a suite without forward secrecy refused.
  const std::string s_client = "echo | openssl s_client -connect 127.0.0.1:" + p + " -CAfile " + certs_.Cert("ca") + " -verify_ip 127.0.0.1 -verify_return_error";
  // Not its exit code: s_client may exit 1 when the broker closes after the
  // EOF it sends, a race of no interest here.
  auto [v_code, verified] = RunShell(s_client + " 2>&1");
  EXPECT_NE(verified.find("Verify return code: 0 (ok)"), std::string::npos) << verified;
  EXPECT_NE(verified.find("TLSv1.3"), std::string::npos) << verified;
  auto [old_code, old] = RunShell(s_client + " -tls1_1 2>&1");
  EXPECT_NE(old_code, 0) << old;
  EXPECT_NE(old.find("Cipher is (NONE)"), std::string::npos) << old;
  auto [rsa_code, rsa] = RunShell(s_client + " -tls1_2 -cipher AES128-SHA 2>&1");
  EXPECT_NE(rsa_code, 0) << rsa;
  EXPECT_EQ(rsa.find("Cipher is AES128-SHA"), std::string::npos) << rsa;
  auto [tls12_code, tls12] = RunShell(s_client + " -tls1_2 2>&1");
  EXPECT_NE(tls12.find("Verify return code: 0 (ok)"), std::string::npos) << tls12;
  EXPECT_NE(tls12.find("Cipher is ECDHE-ECDSA-AES"), std::string::npos) << tls12;
  auto [wrong_ca_code, wrong_ca] = RunShell("echo | openssl s_client -connect 127.0.0.1:" + p + " -CAfile " + certs_.Cert("other-ca") + " -verify_return_error 2>&1");
  EXPECT_NE(wrong_ca_code, 0) << wrong_ca;
  EXPECT_NE(wrong_ca.find("verify error"), std::string::npos) << wrong_ca;

  // Another host's certificate, served: curl names the mismatch.
  broker.Kill(SIGTERM);
  testing::BrokerProcess other({"--data-dir", data_, "--tls-cert", certs_.Cert("elsewhere"), "--tls-key", certs_.Key("elsewhere")}, tmp_.path() + "/other.log");
  ASSERT_TRUE(other.Start()) << other.Log();
  auto [mismatch_code, mismatch] = Curl("--cacert " + certs_.Cert("ca") + " " + Url(other.port()));
  EXPECT_EQ(mismatch_code, 60) << mismatch;
  EXPECT_NE(mismatch.find("127.0.0.1"), std::string::npos) << mismatch;
}

TEST_F(TlsTest, SighupReadsARenewedCertificateAndOpenConnectionsGoOn) {
  // The files the broker reads: copies the test replaces.
  const std::string cert = tmp_.path() + "/serving.pem", key = tmp_.path() + "/serving.key";
  auto use = [&](const std::string& name) {
    std::filesystem::copy_file(certs_.Cert(name), cert, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(certs_.Key(name), key, std::filesystem::copy_options::overwrite_existing);
  };
  use("broker");
  testing::BrokerProcess broker({"--data-dir", data_, "--tls-cert", cert, "--tls-key", key}, tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  TlsConnection before(broker.port(), certs_.Cert("ca"));
  ASSERT_TRUE(before.ok()) << before.error();
  EXPECT_EQ(before.PeerName(), "broker");
  EXPECT_EQ(before.Get("/v1/health"), 200);

  // Renewed: new connections get the new certificate, the open one goes on.
  certs_.Leaf("renewed", "ca", "IP:127.0.0.1");
  use("renewed");
  broker.Signal(SIGHUP);
  ASSERT_TRUE(testing::Eventually([&] { return broker.Log().find("TLS certificate and key read again") != std::string::npos; }));
  TlsConnection after(broker.port(), certs_.Cert("ca"));
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after.PeerName(), "renewed");
  EXPECT_EQ(before.Get("/v1/health"), 200);
  EXPECT_EQ(before.Get("/v1/health"), 200);

  // A key that is not the certificate's: refused, the renewed one stays.
  std::filesystem::copy_file(certs_.Key("broker"), key, std::filesystem::copy_options::overwrite_existing);
  broker.Signal(SIGHUP);
  ASSERT_TRUE(testing::Eventually([&] { return broker.Log().find("TLS not reloaded, the old certificate stays") != std::string::npos; }));
  EXPECT_NE(broker.Log().find("is not the key of --tls-cert"), std::string::npos) << broker.Log();
  TlsConnection kept(broker.port(), certs_.Cert("ca"));
  ASSERT_TRUE(kept.ok()) << kept.error();
  EXPECT_EQ(kept.PeerName(), "renewed");

  // An expired certificate, reloaded as asked: every client refuses it.
  certs_.Leaf("expired", "ca", "IP:127.0.0.1", -1);
  use("expired");
  const size_t reloads = broker.Log().find("TLS certificate and key read again");
  broker.Signal(SIGHUP);
  ASSERT_TRUE(testing::Eventually([&] { return broker.Log().find("TLS certificate and key read again", reloads + 1) != std::string::npos; }));
  auto [code, out] = Curl("--cacert " + certs_.Cert("ca") + " " + Url(broker.port()));
  EXPECT_EQ(code, 60) << out;
  EXPECT_NE(out.find("expired"), std::string::npos) << out;
  TlsConnection refused(broker.port(), certs_.Cert("ca"));
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(before.Get("/v1/health"), 200);  // began before all of it
}

TEST_F(TlsTest, ClientCertificatesFromTheGivenCaAreRequired) {
  certs_.Leaf("client", "ca", "DNS:client", 2, "clientAuth");
  certs_.Authority("stranger-ca");
  certs_.Leaf("stranger", "stranger-ca", "DNS:stranger", 2, "clientAuth");
  testing::BrokerProcess broker({"--data-dir", data_, "--tls-cert", certs_.Cert("broker"), "--tls-key", certs_.Key("broker"), "--tls-client-ca", certs_.Cert("ca")},
                                tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  EXPECT_NE(broker.Log().find("(client certificates required)"), std::string::npos);
  const std::string trust = "--cacert " + certs_.Cert("ca") + " ";
  auto [with_code, with] = Curl(trust + "--cert " + certs_.Cert("client") + " --key " + certs_.Key("client") + " " + Url(broker.port()));
  EXPECT_EQ(with_code, 0) << with;
  EXPECT_EQ(with.substr(with.size() - 4), " 200") << with;
  auto [without_code, without] = Curl(trust + Url(broker.port()));
  EXPECT_NE(without_code, 0) << without;
  EXPECT_EQ(without.find(" 200"), std::string::npos) << without;
  auto [stranger_code, stranger] = Curl(trust + "--cert " + certs_.Cert("stranger") + " --key " + certs_.Key("stranger") + " " + Url(broker.port()));
  EXPECT_NE(stranger_code, 0) << stranger;
  EXPECT_EQ(stranger.find(" 200"), std::string::npos) << stranger;
}

TEST_F(TlsTest, TheBrokerRefusesToStartOnFilesItCannotUse) {
  for (const auto& [args, expect] : std::vector<std::pair<std::string, std::string>>{
           {"--tls-cert " + certs_.Cert("broker"), "both --tls-cert and --tls-key"},
           {"--tls-cert " + certs_.Cert("broker") + " --tls-key " + certs_.Key("ca"), "is not the key of --tls-cert"},
           {"--tls-cert " + certs_.Key("broker") + " --tls-key " + certs_.Key("broker"), "cannot use --tls-cert"}}) {
    auto [code, out] = RunShell(std::string(ICBROKER_BIN) + " serve --auth off --listen 127.0.0.1:0 --data-dir " + data_ + " " + args + " 2>&1");
    EXPECT_EQ(code, 1) << args << "\n" << out;
    EXPECT_NE(out.find(expect), std::string::npos) << args << "\n" << out;
    EXPECT_EQ(out.find("PRIVATE KEY"), std::string::npos) << out;  // never what the files hold
  }
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

TEST_F(TlsTest, TheEventStreamIsServedOverTlsAsOverPlainHttp) {
  auto [made_code, made] = RunShell("(" + std::string(ICBROKER_BIN) + " keys create --tenant ops --role admin --data-dir " + data_ + " 2>/dev/null)");
  ASSERT_EQ(made_code, 0) << made;
  const std::string key = nlohmann::json::parse(made)["secret"];
  testing::BrokerProcess broker({"--data-dir", data_, "--auth", "keys", "--tls-cert", certs_.Cert("broker"), "--tls-key", certs_.Key("broker")},
                                tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  const std::string auth = " -H 'Authorization: Bearer " + key + "' --cacert " + certs_.Cert("ca") + " ";
  // An event to be sent: a key made through the API (key_created).
  auto [post_code, posted] = Curl("-X POST -H 'Content-Type: application/json' -d '{\"tenant\":\"acme\",\"role\":\"reader\"}'" + auth + Url(broker.port(), "/v1/keys"));
  ASSERT_EQ(post_code, 0) << posted;
  ASSERT_EQ(posted.substr(posted.size() - 4), " 201") << posted;
  // From the first event on, for 3 s (the stream does not end: curl's 28).
  auto [code, out] = RunShell("curl -sS -N --max-time 3 -H 'Last-Event-ID: 0'" + auth + Url(broker.port(), "/v1/events/stream") + " 2>/dev/null");
  EXPECT_EQ(code, 28) << out;
  EXPECT_NE(out.find("retry: 2000"), std::string::npos) << out;
  EXPECT_NE(out.find("\ndata: {"), std::string::npos) << out;
  EXPECT_NE(out.find("\"kind\":\"key_created\""), std::string::npos) << out;
}

TEST_F(TlsTest, TheCliVerifiesTheBrokerAndSendsTheKeyFromAFile) {
  auto [made_code, made] = RunShell("(" + std::string(ICBROKER_BIN) + " keys create --tenant ops --role admin --data-dir " + data_ + " 2>/dev/null)");
  ASSERT_EQ(made_code, 0) << made;
  const std::string token_file = tmp_.path() + "/token";
  std::ofstream(token_file) << nlohmann::json::parse(made)["secret"].get<std::string>() << "\n";
  std::filesystem::permissions(token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  testing::BrokerProcess broker({"--data-dir", data_, "--auth", "keys", "--tls-cert", certs_.Cert("broker"), "--tls-key", certs_.Key("broker")},
                                tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  const std::string migrate = std::string(ICBROKER_BIN) + " migrate --broker https://127.0.0.1:" + std::to_string(broker.port()) +
                              " --from nowhere:x/ --to elsewhere:y/ --detach";
  // Verified and authenticated: the broker's own answer (no such provider).
  auto [code, out] = RunShell(migrate + " --cacert " + certs_.Cert("ca") + " --token-file " + token_file + " 2>&1");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("HTTP 404"), std::string::npos) << out;
  EXPECT_NE(out.find("nowhere"), std::string::npos) << out;
  // Without the key: the broker's 401.
  auto [anonymous_code, anonymous] = RunShell(migrate + " --cacert " + certs_.Cert("ca") + " 2>&1");
  EXPECT_EQ(anonymous_code, 1) << anonymous;
  EXPECT_NE(anonymous.find("HTTP 401"), std::string::npos) << anonymous;
  // Not trusting the broker's CA: nothing is sent.
  auto [untrusted_code, untrusted] = RunShell(migrate + " --cacert " + certs_.Cert("other-ca") + " --token-file " + token_file + " 2>&1");
  EXPECT_EQ(untrusted_code, 1) << untrusted;
  EXPECT_EQ(untrusted.find("HTTP "), std::string::npos) << untrusted;
  // A key file others may read is refused before anything is sent.
  std::filesystem::permissions(token_file, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  auto [open_code, open] = RunShell(migrate + " --cacert " + certs_.Cert("ca") + " --token-file " + token_file + " 2>&1");
  EXPECT_EQ(open_code, 2) << open;
  EXPECT_NE(open.find("chmod 600"), std::string::npos) << open;
}

}  // namespace
}  // namespace icb
