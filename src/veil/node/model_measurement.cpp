#include "veil/node/model_measurement.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "veil/base/encoding.h"
#include "veil/crypto/hash.h"

namespace veil::node {

namespace fs = std::filesystem;

Result<ModelHash> hash_model_file(const std::string& path) {
  VEIL_ASSIGN_OR_RETURN(auto digest, crypto::sha256_file(path));
  ModelHash h;
  h.digest = digest;
  return h;
}

Result<ModelHash> hash_model_directory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error("model.not_a_directory", dir + " is not a directory");
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(fs::relative(it->path(), dir, ec).generic_string());
  }
  if (ec) return make_error("model.read_directory", dir + ": " + ec.message());
  // sha256sum sorts nothing itself; the manifest is defined sorted by path (byte order).
  std::sort(files.begin(), files.end());
  ModelHash h;
  for (const auto& rel : files) {
    VEIL_ASSIGN_OR_RETURN(auto d, crypto::sha256_file((fs::path(dir) / rel).string()));
    h.manifest += hex_encode(d) + "  " + rel + "\n";
  }
  h.digest = crypto::sha256(as_bytes(h.manifest));
  return h;
}

}  // namespace veil::node
