// The default model: downloaded once from its publisher's Hugging Face
// repository at a pinned revision, checked against the SHA-256 the hub
// publishes for the file, and cached.
//
// Hub protocol (what huggingface.co does for a file stored in LFS/Xet):
//   GET {hub}/{repo}/resolve/{revision}/{file}
//     -> 302/307 with Location (the CDN URL, absolute or relative),
//        X-Linked-Etag: "<sha256 hex of the file>" (the LFS object id) and
//        X-Linked-Size: <bytes>
//   GET <Location> -> 200 with the bytes (its ETag may also be the sha256).
// The file is streamed to "<path>.part" while hashed, and renamed into place
// only when the digest equals the published one (and the pinned one).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "veil/base/result.h"

namespace veil::cli {

struct ModelSource {
  std::string hub = "https://huggingface.co";
  std::string repo;      // "Qwen/Qwen3-0.6B-GGUF"
  std::string revision;  // a commit id: what is downloaded never changes
  std::string file;      // "Qwen3-0.6B-Q8_0.gguf"
  // Pinned identity (empty/0: trust what the hub publishes for the revision).
  std::string sha256_hex;
  uint64_t size_bytes = 0;
};

// Qwen/Qwen3-0.6B-GGUF @ 23749fefcc72300e3a2ad315e1317431b06b590a,
// Qwen3-0.6B-Q8_0.gguf: 639,446,688 bytes, SHA-256 9465e63a…043bb031.
ModelSource default_model_source();

// Progress of a download: bytes received so far, total (0 when unknown).
using ProgressCallback = std::function<void(uint64_t received, uint64_t total)>;

// A progress bar on stderr ("\r[#####.....]  45%  288.0/639.4 MB  12.3 MB/s"),
// redrawn at most every 100 ms and at completion.
ProgressCallback stderr_progress_bar();

struct FetchOptions {
  std::string cache_dir;     // empty: default_cache_dir()
  ProgressCallback progress;  // empty: no progress output
  bool allow_download = true;  // false: the cache only
};

// $XDG_CACHE_HOME/veil, else $HOME/.cache/veil (error when neither is set).
Result<std::string> default_cache_dir();

// Where a source is cached: <cache>/models/<repo with '/' as "--">/<revision>/<file>.
std::string cached_model_path(const ModelSource& source, const std::string& cache_dir);

// The local path of the model: from the cache when it is there (and was
// verified when stored), else downloaded, verified and stored.
// Errors: "model.unavailable" (not cached and the hub cannot be reached, or
// downloads are off — the caller may fall back to a synthesized model),
// "model.hash_mismatch" (the bytes, or the hub's published hash, differ from
// what is expected; nothing is cached), "model.download" (HTTP status, size,
// missing published hash), "model.cache" (file system).
Result<std::string> fetch_model(const ModelSource& source, const FetchOptions& options);

// The model `make run` serves: $VEIL_MODEL when set (error "model.not_found"
// if that file does not exist), else fetch_model(default_model_source()).
// On "model.unavailable" the caller falls back to a synthesized model.
Result<std::string> resolve_default_model(const FetchOptions& options);

}  // namespace veil::cli
