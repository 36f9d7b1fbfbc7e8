#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "veil/cli/settings.h"

namespace veil::cli {
namespace {

struct Parsed {
  std::string listen = "127.0.0.1:8443";
  std::string model;
  int threads = 0;
  size_t max_body = 8;
  bool plain = false;
};

Status parse(std::vector<std::string> args, const std::string& toml, Parsed& p) {
  CLI::App app;
  Settings s(app);
  s.add_string("listen", &p.listen, "");
  s.add_string("served-model-name", &p.model, "");
  s.add_int("threads", &p.threads, "");
  s.add_size("max-body-bytes", &p.max_body, "");
  s.add_flag("plain-http", &p.plain, "");
  std::vector<char*> argv{const_cast<char*>("veil")};
  for (auto& a : args) argv.push_back(a.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  std::string path;
  if (!toml.empty()) {
    path = ::testing::TempDir() + "/veil_settings_test.toml";
    std::ofstream(path) << toml;
  }
  return s.resolve(path);
}

TEST(Settings, FlagBeatsEnvBeatsToml) {
  setenv("VEIL_SERVED_MODEL_NAME", "from-env", 1);
  setenv("VEIL_THREADS", "3", 1);
  Parsed p;
  ASSERT_TRUE(parse({"--threads", "5"}, "served_model_name = \"from-toml\"\nlisten = \"0.0.0.0:9\"\nplain_http = true\n", p).ok());
  EXPECT_EQ(p.threads, 5);               // flag
  EXPECT_EQ(p.model, "from-env");        // env over TOML
  EXPECT_EQ(p.listen, "0.0.0.0:9");      // TOML over default
  EXPECT_TRUE(p.plain);
  unsetenv("VEIL_SERVED_MODEL_NAME");
  unsetenv("VEIL_THREADS");
}

TEST(Settings, DefaultsStayWhenNothingIsGiven) {
  Parsed p;
  ASSERT_TRUE(parse({}, "", p).ok());
  EXPECT_EQ(p.listen, "127.0.0.1:8443");
  EXPECT_FALSE(p.plain);
}

TEST(Settings, BadValuesAreClearErrors) {
  Parsed p;
  auto st = parse({}, "listenn = \"x\"\n", p);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("unknown setting 'listenn'"), std::string::npos);
  setenv("VEIL_THREADS", "many", 1);
  Parsed q;
  EXPECT_FALSE(parse({}, "", q).ok());
  unsetenv("VEIL_THREADS");
  Parsed r;
  EXPECT_FALSE(parse({}, "max_body_bytes = -1\n", r).ok());
  Parsed t;
  EXPECT_FALSE(parse({}, "this is not toml", t).ok());
}

}  // namespace
}  // namespace veil::cli
