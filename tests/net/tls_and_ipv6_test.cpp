// TLS protocol policy (version floor, ALPN) seen by a raw OpenSSL client, and
// IPv6 literals end to end.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "net/net_test_util.h"
#include "veil/net/http_client.h"
#include "veil/net/http_server.h"

namespace veil::net {
namespace {

struct Handshake {
  bool ok = false;
  int version = 0;
  std::string alpn;
};

Handshake raw_tls_handshake(uint16_t port, int max_version, bool offer_alpn) {
  Handshake out;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);  // let the client offer old versions; the server must refuse them
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  if (offer_alpn) {
    static const unsigned char kAlpn[] = "\x02h2\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn) - 1);
  }
  int fd = test::raw_connect(port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) == 1) {
    out.ok = true;
    out.version = SSL_version(ssl);
    const unsigned char* proto = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &proto, &len);
    out.alpn.assign(reinterpret_cast<const char*>(proto), len);
  }
  SSL_free(ssl);
  ::close(fd);
  SSL_CTX_free(ctx);
  return out;
}

TEST(TlsPolicy, ModernVersionsAndHttp11Alpn) {
  const auto id = test::make_test_identity();
  HttpServerOptions opt;
  opt.port = 0;
  opt.tls = TlsServerConfig{id.cert_pem, id.key_pem};
  auto server =
      HttpServer::start(opt, [](const HttpRequest&, ResponseWriter& w) { w.send(200, "text/plain", "x"); });
  ASSERT_TRUE(server.ok());
  const uint16_t port = (*server)->port();

  auto tls13 = raw_tls_handshake(port, TLS1_3_VERSION, true);
  ASSERT_TRUE(tls13.ok);
  EXPECT_EQ(tls13.version, TLS1_3_VERSION);  // preferred when offered
  EXPECT_EQ(tls13.alpn, "http/1.1");         // never h2

  auto tls12 = raw_tls_handshake(port, TLS1_2_VERSION, false);
  ASSERT_TRUE(tls12.ok);
  EXPECT_EQ(tls12.version, TLS1_2_VERSION);
  EXPECT_EQ(tls12.alpn, "");

  EXPECT_FALSE(raw_tls_handshake(port, TLS1_1_VERSION, true).ok);
  EXPECT_FALSE(raw_tls_handshake(port, TLS1_VERSION, true).ok);
}

TEST(Ipv6, ServerAndClientOnLoopback) {
  HttpServerOptions opt;
  opt.host = "::1";
  opt.port = 0;
  std::string seen_remote;
  auto server = HttpServer::start(opt, [&](const HttpRequest& req, ResponseWriter& w) {
    seen_remote = req.remote_address;
    w.send(200, "text/plain", req.path);
  });
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback";
  HttpClient client;
  auto r = client.request("GET", "http://[::1]:" + std::to_string((*server)->port()) + "/six");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body, "/six");
  EXPECT_EQ(seen_remote.rfind("[::1]:", 0), 0u);
}

}  // namespace
}  // namespace veil::net
