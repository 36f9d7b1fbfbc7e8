// In-memory store of response signatures, keyed by chat_id (WIRE.md section 4).
//
// A response is registered as pending when its id is known; once its last
// byte is sent, the text to sign ("{model}:{sha256(req)}:{sha256(resp)}") is
// recorded, and the entry is signed by whichever comes first: the background
// signer (an idle-priority thread, signing_queue.h) or the first lookup, which
// signs it there and then. Signatures are deterministic (RFC 6979 ECDSA,
// Ed25519), so when it is signed changes nothing a client can see, and a busy
// node spends no CPU on signatures nobody asks for. A lookup of an entry whose
// response is still being sent waits, up to a deadline. Entries expire after
// a TTL (default 20 minutes) and the count is bounded (oldest evicted first).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
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
  using Signer = std::function<SignedResponse(std::string text)>;

  SignatureCache();
  explicit SignatureCache(Options options);

  // Set once, before use: signs a text with the node's keys.
  void set_signer(Signer signer) { signer_ = std::move(signer); }

  void add_pending(const std::string& chat_id, const std::string& model);
  // The response is complete: its text is known, to be signed on first
  // lookup or by sign_if_unsigned(), whichever comes first.
  void add_unsigned(const std::string& chat_id, const std::string& model, std::string text);
  // Signs the entry if it is still unsigned (the background signer's job).
  void sign_if_unsigned(const std::string& chat_id);
  void complete(const std::string& chat_id, const std::string& model, SignedResponse response);
  void mark_disconnected(const std::string& chat_id, const std::string& model);

  // nullopt: unknown (or expired). Waits up to `wait` while the entry is pending.
  std::optional<SignatureLookup> find(const std::string& chat_id, std::chrono::milliseconds wait);

  size_t size() const;

 private:
  struct Entry {
    SignatureLookup value;
    std::chrono::steady_clock::time_point created;
    std::string text_to_sign;  // set while pending once the response is complete
  };
  void insert_locked(const std::string& chat_id, SignatureLookup value, std::string text_to_sign = {});
  // Signs entry `chat_id` if it still has a text to sign; returns with the lock held.
  void sign_locked(std::unique_lock<std::mutex>& lock, const std::string& chat_id);
  void evict_locked(std::chrono::steady_clock::time_point now);

  Options options_;
  Signer signer_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> order_;  // insertion order for TTL/bound
};

}  // namespace veil::node
