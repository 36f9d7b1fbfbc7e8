// `--jwks https://...`: a real TLS server on loopback (veil::net::HttpServer
// with a certificate from a test CA made here) serving a JWKS. The fetch
// verifies the server: trusted CA → the NRAS token verifies end to end;
// untrusted certificate, wrong host name, non-200, bad JSON, refused
// connection → each its own clear error, never a crash.
#include "veil/cli/jwks_fetch.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/shared_data.h"
#include "veil/base/encoding.h"
#include "veil/cli/verify_gpu.h"
#include "veil/net/http_server.h"

namespace veil::cli {
namespace {

namespace json = boost::json;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

std::string pem_of(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<size_t>(n));
  BIO_free(b);
  return s;
}

std::string pem_of(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<size_t>(n));
  BIO_free(b);
  return s;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct Issued {
  Key key;
  Cert cert;
};

// issuer == nullptr: a self-signed CA.
Issued make_cert(const std::string& cn, const Issued* issuer, const char* san) {
  Issued out{Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")), Cert(X509_new())};
  X509* x = out.cert.get();
  X509_set_version(x, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, out.key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  if (!issuer) {
    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, issuer_cert, NID_ext_key_usage, "serverAuth");
    add_ext(x, issuer_cert, NID_subject_alt_name, san);
  }
  X509_sign(x, issuer ? issuer->key.get() : out.key.get(), EVP_sha256());
  return out;
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("veil-jwks-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// An ES384 signer standing in for NRAS, and its JWKS.
struct NrasKey {
  Key key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")};

  std::string jwks() const {
    uint8_t point[97];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    json::object jwk{{"kty", "EC"},
                     {"crv", "P-384"},
                     {"kid", "test-kid"},
                     {"alg", "ES384"},
                     {"x", base64url_encode(ByteView(point + 1, 48))},
                     {"y", base64url_encode(ByteView(point + 49, 48))}};
    return json::serialize(json::object{{"keys", json::array{jwk}}});
  }

  std::string sign(const json::object& claims) const {
    const std::string header = R"({"kid":"test-kid","alg":"ES384"})";
    const std::string input =
        base64url_encode(as_bytes(header)) + "." + base64url_encode(as_bytes(json::serialize(claims)));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t n = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key.get());
    EVP_DigestSign(ctx, nullptr, &n, as_bytes(input).data(), input.size());
    Bytes der(n);
    EVP_DigestSign(ctx, der.data(), &n, as_bytes(input).data(), input.size());
    der.resize(n);
    EVP_MD_CTX_free(ctx);
    // DER ECDSA-Sig-Value → raw r ‖ s (48 bytes each), as JWS wants.
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    Bytes raw(96);
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw.data(), 48);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw.data() + 48, 48);
    ECDSA_SIG_free(sig);
    return input + "." + base64url_encode(raw);
  }
};

struct JwksServer {
  std::unique_ptr<net::HttpServer> server;
  std::string base;  // https://127.0.0.1:PORT
};

JwksServer start_server(const Issued& leaf, const Issued& ca, const std::string& jwks) {
  net::HttpServerOptions o;
  o.port = 0;
  o.tls = net::TlsServerConfig{pem_of(leaf.cert.get()) + pem_of(ca.cert.get()), pem_of(leaf.key.get())};
  auto server = net::HttpServer::start(o, [jwks](const net::HttpRequest& req, net::ResponseWriter& w) {
    if (req.path == "/jwks.json") {
      w.send(200, "application/json", jwks);
    } else if (req.path == "/not-json") {
      w.send(200, "application/json", "<html>oops</html>");
    } else if (req.path == "/no-keys") {
      w.send(200, "application/json", R"({"kty":"EC"})");
    } else {
      w.send(404, "text/plain", "not found");
    }
  });
  EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().to_string());
  JwksServer s;
  if (!server.ok()) return s;
  s.server = std::move(*server);
  s.base = "https://127.0.0.1:" + std::to_string(s.server->port());
  return s;
}

struct Pki {
  Issued ca = make_cert("Veil Test CA", nullptr, nullptr);
  Issued other_ca = make_cert("Some Other CA", nullptr, nullptr);
  Issued leaf = make_cert("jwks server", &ca, "IP:127.0.0.1,DNS:jwks.test");
  Issued wrong_name = make_cert("jwks server", &ca, "DNS:elsewhere.test");
  std::string ca_file = write_temp("ca.pem", pem_of(ca.cert.get()));
  std::string other_ca_file = write_temp("other-ca.pem", pem_of(other_ca.cert.get()));
};

TEST(JwksFetch, TrustedCaFetchesTheJwks) {
  Pki pki;
  NrasKey nras;
  auto s = start_server(pki.leaf, pki.ca, nras.jwks());
  ASSERT_TRUE(s.server);
  JwksFetchOptions o;
  o.ca_file = pki.ca_file;
  auto r = fetch_jwks(s.base + "/jwks.json", o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, nras.jwks());
}

TEST(JwksFetch, UntrustedCertificateIsAClearError) {
  Pki pki;
  auto s = start_server(pki.leaf, pki.ca, "{}");
  ASSERT_TRUE(s.server);
  JwksFetchOptions o;
  // A CA that did not issue the server's certificate; the server sends its own CA,
  // which is not trusted either.
  o.ca_file = pki.other_ca_file;
  auto r = fetch_jwks(s.base + "/jwks.json", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "jwks.tls_untrusted");
  EXPECT_NE(r.error().message.find("not trusted: self-signed certificate in certificate chain"),
            std::string::npos)
      << r.error().message;
  // The system store does not know the test CA either.
  unsetenv("SSL_CERT_FILE");
  auto sys = fetch_jwks(s.base + "/jwks.json");
  ASSERT_FALSE(sys.ok());
  EXPECT_EQ(sys.error().code, "jwks.tls_untrusted");
  EXPECT_NE(sys.error().message.find("system CA store"), std::string::npos) << sys.error().message;
}

TEST(JwksFetch, SslCertFileIsHonouredWithoutJwksCa) {
  Pki pki;
  NrasKey nras;
  auto s = start_server(pki.leaf, pki.ca, nras.jwks());
  ASSERT_TRUE(s.server);
  setenv("SSL_CERT_FILE", pki.ca_file.c_str(), 1);
  auto r = fetch_jwks(s.base + "/jwks.json");
  unsetenv("SSL_CERT_FILE");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, nras.jwks());
}

TEST(JwksFetch, HostNameMismatchIsAClearError) {
  Pki pki;
  auto s = start_server(pki.wrong_name, pki.ca, "{}");
  ASSERT_TRUE(s.server);
  JwksFetchOptions o;
  o.ca_file = pki.ca_file;
  auto ip = fetch_jwks(s.base + "/jwks.json", o);  // certificate names only elsewhere.test
  ASSERT_FALSE(ip.ok());
  EXPECT_EQ(ip.error().code, "jwks.tls_hostname");
  EXPECT_NE(ip.error().message.find("does not name the host '127.0.0.1'"), std::string::npos);
  // By name: localhost resolves to this server, the certificate does not name it.
  auto good = start_server(pki.leaf, pki.ca, "{}");
  auto name = fetch_jwks("https://localhost:" + std::to_string(good.server->port()) + "/jwks.json", o);
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().code, "jwks.tls_hostname") << name.error().to_string();
}

TEST(JwksFetch, HttpAndContentErrors) {
  Pki pki;
  auto s = start_server(pki.leaf, pki.ca, R"({"keys":[]})");
  ASSERT_TRUE(s.server);
  JwksFetchOptions o;
  o.ca_file = pki.ca_file;
  auto missing = fetch_jwks(s.base + "/nope", o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "jwks.http_status");
  EXPECT_NE(missing.error().message.find("HTTP 404"), std::string::npos);
  for (const char* path : {"/not-json", "/no-keys"}) {
    auto r = fetch_jwks(s.base + path, o);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().code, "jwks.bad_json") << path;
  }
  auto plain = fetch_jwks("http://127.0.0.1:" + std::to_string(s.server->port()) + "/jwks.json", o);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, "jwks.bad_url");
  auto bad_ca = o;
  bad_ca.ca_file = write_temp("not-a-ca.pem", "not a certificate");
  EXPECT_EQ(fetch_jwks(s.base + "/jwks.json", bad_ca).error().code, "jwks.ca_file");
  // A port nobody listens on (the server stopped).
  const uint16_t port = s.server->port();
  s.server->stop(std::chrono::milliseconds(0));
  auto refused = fetch_jwks("https://127.0.0.1:" + std::to_string(port) + "/jwks.json", o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "jwks.connect");
}

// `veil verify gpu --nras-token FILE --jwks https://... --jwks-ca FILE`: the
// token signed by the key in the served JWKS verifies; with the wrong CA the
// fetch fails and the token is not trusted.
TEST(JwksFetch, VerifyGpuWithJwksUrl) {
  VEIL_REQUIRE_SHARED();
  Pki pki;
  NrasKey nras;
  auto s = start_server(pki.leaf, pki.ca, nras.jwks());
  ASSERT_TRUE(s.server);
  constexpr int64_t kNow = 1759276800;  // the nvtrust sample's chain is valid
  const std::string token = nras.sign(json::object{{"nbf", kNow - 60},
                                                   {"iat", kNow - 60},
                                                   {"exp", kNow + 3600},
                                                   {"eat_nonce", std::string(64, 'a')},
                                                   {"x-nvidia-overall-att-result", true}});
  const std::string token_file = write_temp("token.jwt", token);
  auto run = [&](const std::string& ca_file) {
    std::vector<std::string> args = {
        "gpu",
        "--payload",
        veil::test::shared_path("testdata/derived/nvidia_payload/nvidia_payload_h100_nvtrust_sample.json"),
        "--now",
        std::to_string(kNow),
        "--nras-token",
        token_file,
        "--jwks",
        s.base + "/jwks.json",
        "--jwks-ca",
        ca_file,
        "--json"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    testing::internal::CaptureStdout();
    int rc = verify_gpu_main(static_cast<int>(argv.size()), argv.data());
    std::string out = testing::internal::GetCapturedStdout();
    return std::make_pair(rc, json::parse(out).as_object());
  };
  auto status_of = [](const json::object& o, const std::string& name) {
    for (const auto& c : o.at("checks").as_array())
      if (c.at("name").as_string() == name) return std::string(c.at("status").as_string());
    return std::string("absent");
  };
  auto [rc, good] = run(pki.ca_file);
  EXPECT_EQ(status_of(good, "nras.jwks"), "pass") << json::serialize(good);
  EXPECT_EQ(status_of(good, "nras.overall.signature"), "pass") << json::serialize(good);
  EXPECT_EQ(rc, 0) << json::serialize(good);
  EXPECT_TRUE(good.at("verified").as_bool());

  auto [rc2, bad] = run(pki.other_ca_file);
  EXPECT_EQ(rc2, 1);
  EXPECT_EQ(status_of(bad, "nras.jwks"), "fail");
  EXPECT_EQ(status_of(bad, "nras.overall.signature"), "fail");
  bool said_untrusted = false;
  for (const auto& c : bad.at("checks").as_array())
    if (c.at("name").as_string() == "nras.jwks")
      said_untrusted = std::string(c.at("detail").as_string()).find("not trusted") != std::string::npos;
  EXPECT_TRUE(said_untrusted) << json::serialize(bad);
}

}  // namespace
}  // namespace veil::cli

namespace veil::cli {
namespace {

// The response parser on its own: every framing, incomplete and malformed input.
TEST(JwksHttpAnswer, FramingsAndMalformedResponses) {
  auto parse = [](std::string_view s, bool closed, size_t max = 1024) {
    return parse_http_answer(s, closed, max);
  };
  auto body_of = [&](std::string_view s, bool closed) {
    auto r = parse(s, closed);
    EXPECT_TRUE(r.ok()) << s;
    return r.ok() && *r ? (*r)->body : std::string("<incomplete>");
  };
  EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false), "hello");
  EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\ncontent-length:  3 \r\n\r\nabcdef", false), "abc");
  EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", false), "<incomplete>");
  EXPECT_EQ(
      body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
              false),
      "abcde");
  EXPECT_EQ(
      body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", false),
      "abc");
  EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", false), "<incomplete>");
  EXPECT_EQ(body_of("HTTP/1.0 200 OK\r\n\r\nuntil close", false), "<incomplete>");
  EXPECT_EQ(body_of("HTTP/1.0 200 OK\r\n\r\nuntil close", true), "until close");
  EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\nContent", false), "<incomplete>");
  auto r404 = parse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false);
  ASSERT_TRUE(r404.ok() && *r404);
  EXPECT_EQ((*r404)->status, 404);

  struct Bad {
    const char* text;
    bool closed;
    const char* code;
  };
  const Bad bad[] = {
      {"HTTP/1.1 200 OK\r\nContent", true, "jwks.bad_response"},  // closed inside the head
      {"SSH-2.0-OpenSSH\r\n\r\n", false, "jwks.bad_response"},
      {"HTTP/1.1 2x0 OK\r\n\r\n", false, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n", false, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", false, "jwks.too_large"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY", false, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n", false, "jwks.bad_response"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", false, "jwks.too_large"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", true, "jwks.bad_response"},
  };
  for (const auto& b : bad) {
    auto r = parse(b.text, b.closed);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_EQ(r.error().code, b.code) << b.text;
  }
  // A close-delimited body over the limit, and a head that never ends.
  std::string big = "HTTP/1.0 200 OK\r\n\r\n" + std::string(2000, 'x');
  EXPECT_EQ(parse(big, false).error().code, "jwks.too_large");
  EXPECT_EQ(parse(std::string(70000, 'h'), false).error().code, "jwks.bad_response");
  // Every prefix of a good chunked answer is "incomplete" or the answer, never an error or a crash.
  const std::string good = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  for (size_t i = 0; i <= good.size(); ++i) {
    auto r = parse(std::string_view(good).substr(0, i), false);
    ASSERT_TRUE(r.ok()) << i;
    if (i < good.size()) {
      EXPECT_FALSE(r->has_value()) << i;
    }
  }
}

}  // namespace
}  // namespace veil::cli
