// In-memory store of response signatures, keyed by chat_id (WIRE.md section 4).
//
// A response is registered as pending when its id is known, then completed
// with its signatures (or marked disconnected). A lookup of a pending entry
// waits, up to a deadline, for signing to finish: signing happens just after
// the last byte is sent, off the latency path. Entries expire after a TTL
// (default 20 minutes) and the count is bounded (oldest evicted first).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace veil::node {

struct SignedResponse {
  std::string text;              // "{model}:{sha256(req)}:{sha256(resp)}"
  std::string ecdsa_signature;   // "0x" + r||s||v hex
  std::string ed25519_signature; // 128 hex
};

enum class SignatureState { pending, signed_ok, stream_disconnected };

struct SignatureLookup {
  SignatureState state;
  std::string model;
  SignedResponse response;  // valid when state == signed_ok
};

class SignatureCache {
 public:
  struct Options {
    std::chrono::seconds ttl{20 * 60};
    size_t max_entries = 100000;
  };
  SignatureCache();
  explicit SignatureCache(Options options);

  void add_pending(const std::string& chat_id, const std::string& model);
  void complete(const std::string& chat_id, const std::string& model, SignedResponse response);
  void mark_disconnected(const std::string& chat_id, const std::string& model);

  // nullopt: unknown (or expired). Waits up to `wait` while the entry is pending.
  std::optional<SignatureLookup> find(const std::string& chat_id, std::chrono::milliseconds wait);

  size_t size() const;

 private:
  struct Entry {
    SignatureLookup value;
    std::chrono::steady_clock::time_point created;
  };
  void insert_locked(const std::string& chat_id, SignatureLookup value);
  void evict_locked(std::chrono::steady_clock::time_point now);

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> order_;  // insertion order for TTL/bound
};

}  // namespace veil::node
