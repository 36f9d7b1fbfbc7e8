// Helpers for net tests: raw POSIX sockets (to send bytes no well-behaved
// client would) and an in-memory self-signed TLS identity.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "veil/base/encoding.h"

namespace veil::net::test {

inline int raw_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Appends what arrives within timeout_ms; returns false on EOF/error (true on timeout or data).
inline bool recv_some(int fd, std::string& out, int timeout_ms) {
  pollfd pfd{fd, POLLIN, 0};
  int r = ::poll(&pfd, 1, timeout_ms);
  if (r <= 0) return r == 0;
  char buf[16384];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  out.append(buf, static_cast<size_t>(n));
  return true;
}

// Reads until the peer closes or timeout_ms passes; returns whether it closed.
inline bool read_until_closed(int fd, std::string& out, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r <= 0) return false;
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

struct RawResponse {
  int status = 0;
  std::string head;
  std::string body;
};

// Takes one Content-Length-framed response off the front of `buf`, reading
// more from fd as needed. status 0 on failure.
inline RawResponse read_response(int fd, std::string& buf, int timeout_ms = 5000) {
  RawResponse out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline || !recv_some(fd, buf, 100)) return out;
  }
  out.head = buf.substr(0, end + 4);
  size_t length = 0;
  std::string lower = out.head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t cl = lower.find("\r\ncontent-length: ");
  if (cl != std::string::npos) length = std::stoul(lower.substr(cl + 18));
  while (buf.size() < end + 4 + length) {
    if (std::chrono::steady_clock::now() > deadline || !recv_some(fd, buf, 100)) return out;
  }
  out.body = buf.substr(end + 4, length);
  buf.erase(0, end + 4 + length);
  if (out.head.size() > 12) out.status = std::stoi(out.head.substr(9, 3));
  return out;
}

struct TestIdentity {
  std::string cert_pem;
  std::string key_pem;
  std::string spki_sha256_hex;
};

// A P-256 key and a self-signed certificate for 127.0.0.1/localhost.
inline TestIdentity make_test_identity() {
  TestIdentity id;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  id.cert_pem.assign(p, static_cast<size_t>(n));
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  n = BIO_get_mem_data(b, &p);
  id.key_pem.assign(p, static_cast<size_t>(n));
  BIO_free(b);
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
  unsigned char digest[32];
  unsigned int dlen = 0;
  EVP_Digest(der, static_cast<size_t>(len), digest, &dlen, EVP_sha256(), nullptr);
  id.spki_sha256_hex = hex_encode(ByteView(digest, 32));
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(key);
  return id;
}

}  // namespace veil::net::test
