#include "veil/node/node_options.h"

#include <boost/json.hpp>

#include "veil/base/json_stringify.h"
#include "veil/base/version.h"

namespace veil::node {

std::string canonical_config_json(const NodeOptions& o, const std::string& served_model_name,
                                  const std::string& backend_kind) {
  // Sorted keys, no secrets, no paths that differ between identical deployments
  // except the ones that define what is served.
  boost::json::object c;
  c["backend"] = backend_kind;
  c["gpu"] = o.gpu;
  c["max_body_bytes"] = o.max_body_bytes;
  c["model_name"] = served_model_name;
  c["tee"] = o.tee;
  c["tls"] = o.plain_http ? "none" : (o.tls_cert_file.empty() ? "self-signed-in-tee" : "operator-certificate");
  c["upstream"] = o.upstream_url;
  c["upstream_model"] = o.upstream_model;
  c["veil"] = kVersion;
  return js_stringify(c);
}

}  // namespace veil::node
