// One table of settings, read from (highest first) command-line flags,
// VEIL_* environment variables, a TOML file (--config), and defaults.
// Every setting is settable in all three places under one name:
//   flag --served-model-name  ·  env VEIL_SERVED_MODEL_NAME  ·  TOML served_model_name
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "veil/base/result.h"

namespace veil::cli {

class Settings {
 public:
  explicit Settings(CLI::App& app) : app_(app) {}

  void add_string(const std::string& name, std::string* target, const std::string& help);
  void add_int(const std::string& name, int* target, const std::string& help);
  void add_size(const std::string& name, size_t* target, const std::string& help);
  void add_flag(const std::string& name, bool* target, const std::string& help);

  // After app.parse(): applies env and TOML values for settings not given as flags.
  Status resolve(const std::string& toml_path);

 private:
  struct Entry {
    std::string name;  // kebab-case flag name without dashes
    std::string raw;   // the flag's value when given
    bool is_flag = false;
    std::function<Status(const std::string&)> apply;
    CLI::Option* option = nullptr;
  };
  CLI::App& app_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace veil::cli
