#include "veil/base/encoding.h"

#include <array>

namespace veil {

namespace {
constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> make_b64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<uint8_t>(kB64[i])] = static_cast<int8_t>(i);
    t[static_cast<uint8_t>(kB64Url[i])] = static_cast<int8_t>(i);
  }
  return t;
}
constexpr auto kB64Table = make_b64_table();

std::string b64_encode_with(ByteView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t(data[i]) << 16) | (uint32_t(data[i + 1]) << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t(data[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint32_t(data[i]) << 16) | (uint32_t(data[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}
}  // namespace

std::string hex_encode(ByteView data) {
  std::string out;
  out.resize(data.size() * 2);
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}

Result<Bytes> hex_decode(std::string_view hex, bool allow_0x) {
  if (allow_0x && hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
    hex.remove_prefix(2);
  }
  if (hex.size() % 2 != 0) return make_error("encoding.bad_hex", "hex string has odd length");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error("encoding.bad_hex", "invalid hex character");
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(ByteView data) { return b64_encode_with(data, kB64, true); }
std::string base64url_encode(ByteView data) { return b64_encode_with(data, kB64Url, false); }

Result<Bytes> base64_decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  size_t symbols = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return make_error("encoding.bad_base64", "data after base64 padding");
    int8_t v = kB64Table[static_cast<uint8_t>(c)];
    if (v < 0) return make_error("encoding.bad_base64", "invalid base64 character");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (symbols % 4 == 1) return make_error("encoding.bad_base64", "truncated base64");
  if (padding > 2 || (padding > 0 && (symbols + padding) % 4 != 0)) {
    return make_error("encoding.bad_base64", "bad base64 padding");
  }
  return out;
}

}  // namespace veil
