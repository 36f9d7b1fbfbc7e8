#include "veil/cli/settings.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>

namespace veil::cli {

namespace {

std::string env_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::toupper(c));
  });
  return "VEIL_" + name;
}

std::string toml_name(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

Result<long long> parse_integer(const std::string& name, const std::string& v) {
  try {
    size_t pos = 0;
    long long n = std::stoll(v, &pos);
    if (pos != v.size()) throw std::invalid_argument("trailing");
    return n;
  } catch (const std::exception&) {
    return make_error("config.bad_value", name + " must be an integer");
  }
}

Result<bool> parse_boolean(const std::string& name, const std::string& v) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return false;
  return make_error("config.bad_value", name + " must be true or false");
}

}  // namespace

void Settings::add_string(const std::string& name, std::string* target, const std::string& help) {
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->apply = [target](const std::string& v) -> Status {
    *target = v;
    return ok_status();
  };
  e->option = app_.add_option("--" + name, e->raw, help + " [env " + env_name(name) + "]");
  entries_.push_back(std::move(e));
}

void Settings::add_int(const std::string& name, int* target, const std::string& help) {
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->apply = [name, target](const std::string& v) -> Status {
    VEIL_ASSIGN_OR_RETURN(long long n, parse_integer(name, v));
    if (n < -2147483647LL || n > 2147483647LL) return make_error("config.bad_value", name + " out of range");
    *target = static_cast<int>(n);
    return ok_status();
  };
  e->option = app_.add_option("--" + name, e->raw, help + " [env " + env_name(name) + "]");
  entries_.push_back(std::move(e));
}

void Settings::add_size(const std::string& name, size_t* target, const std::string& help) {
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->apply = [name, target](const std::string& v) -> Status {
    VEIL_ASSIGN_OR_RETURN(long long n, parse_integer(name, v));
    if (n < 0) return make_error("config.bad_value", name + " must not be negative");
    *target = static_cast<size_t>(n);
    return ok_status();
  };
  e->option = app_.add_option("--" + name, e->raw, help + " [env " + env_name(name) + "]");
  entries_.push_back(std::move(e));
}

void Settings::add_flag(const std::string& name, bool* target, const std::string& help) {
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->is_flag = true;
  e->apply = [name, target](const std::string& v) -> Status {
    VEIL_ASSIGN_OR_RETURN(bool b, parse_boolean(name, v));
    *target = b;
    return ok_status();
  };
  Entry* raw = e.get();
  e->option = app_.add_flag_callback("--" + name, [raw] { raw->raw = "true"; }, help + " [env " + env_name(name) + "]");
  entries_.push_back(std::move(e));
}

Status Settings::resolve(const std::string& toml_path) {
  toml::table table;
  if (!toml_path.empty()) {
    try {
      table = toml::parse_file(toml_path);
    } catch (const toml::parse_error& err) {
      return make_error("config.toml", toml_path + ": " + std::string(err.description()) + " at line " +
                                           std::to_string(err.source().begin.line));
    }
    // Unknown keys are errors: a typo must not silently fall back to a default.
    for (const auto& [key, value] : table) {
      (void)value;
      const std::string k(key.str());
      bool known = std::any_of(entries_.begin(), entries_.end(), [&](const auto& e) { return toml_name(e->name) == k; });
      if (!known) return make_error("config.toml", toml_path + ": unknown setting '" + k + "'");
    }
  }
  for (auto& e : entries_) {
    std::optional<std::string> value;
    if (e->option->count() > 0) {
      value = e->raw;
    } else if (const char* env = std::getenv(env_name(e->name).c_str()); env != nullptr) {
      value = std::string(env);
    } else if (auto node = table[toml_name(e->name)]; node) {
      if (auto s = node.value<std::string>()) value = *s;
      else if (auto i = node.value<int64_t>()) value = std::to_string(*i);
      else if (auto b = node.value<bool>()) value = *b ? "true" : "false";
      else return make_error("config.toml", toml_name(e->name) + " has an unsupported type");
    }
    if (value) VEIL_TRY(e->apply(*value));
  }
  return ok_status();
}

}  // namespace veil::cli
