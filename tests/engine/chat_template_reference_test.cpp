// Chat templates against llama.cpp's renderings (../shared/models/ref/TEMPLATES.json):
// nine real Jinja templates from ref/templates/ and four llama.cpp built-in
// formats, four conversations each, Qwen3/DeepSeek-R1 also without thinking.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/shared_data.h"
#include "veil/engine/chat_template.h"

namespace veil::engine {
namespace {

namespace json = boost::json;

std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return (v && v->is_string()) ? std::string(v->as_string()) : std::string();
}

TEST(ChatTemplateReference, AllRenderingsMatchLlamaCpp) {
  VEIL_REQUIRE_SHARED();
  const json::value doc = json::parse(veil::test::read_shared_text("models/ref/TEMPLATES.json"));
  const json::array& rows = doc.at("renderings").as_array();
  ASSERT_EQ(rows.size(), 60u);
  int matched = 0;
  for (const json::value& row_value : rows) {
    const json::object& row = row_value.as_object();
    const std::string name = str(row, "template");
    const std::string label = name + " / " + str(row, "variant") + " / " + str(row, "conversation");
    ASSERT_TRUE(row.at("error").is_null()) << label;

    std::string bos, eos;
    TemplateOptions options;
    if (const json::value* kw = row.if_contains("chat_template_kwargs"); kw && kw->is_object()) {
      bos = str(kw->as_object(), "bos_token");
      eos = str(kw->as_object(), "eos_token");
      options.date_string = str(kw->as_object(), "date_string");
      if (const json::value* t = kw->as_object().if_contains("enable_thinking")) options.enable_thinking = t->as_bool();
    }
    Result<ChatTemplate> tmpl = make_error("unset", "");
    if (name.rfind("builtin:", 0) == 0) {
      tmpl = ChatTemplate::from_name(name.substr(8), bos, eos);
    } else {
      tmpl = ChatTemplate::from_jinja(veil::test::read_shared_text("models/ref/templates/" + name), bos, eos);
    }
    ASSERT_TRUE(tmpl.ok()) << label << ": " << tmpl.error().to_string();

    std::vector<TemplateMessage> messages;
    for (const json::value& m : row.at("messages").as_array()) {
      messages.push_back({str(m.as_object(), "role"), str(m.as_object(), "content")});
    }
    auto rendered = tmpl->render(messages, row.at("add_generation_prompt").as_bool(), options);
    ASSERT_TRUE(rendered.ok()) << label << ": " << rendered.error().to_string();
    EXPECT_EQ(*rendered, str(row, "rendered")) << label << " (family " << tmpl->family() << ")";
    if (*rendered == str(row, "rendered")) ++matched;
  }
  EXPECT_EQ(matched, 60);
}

TEST(ChatTemplateReference, RecognisesEachTemplateFile) {
  VEIL_REQUIRE_SHARED();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Qwen-Qwen3-0.6B.jinja", "qwen3"},
      {"Qwen-Qwen2.5-7B-Instruct.jinja", "qwen2.5"},
      {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "deepseek-r1"},
      {"google-gemma-2-2b-it.jinja", "gemma"},
      {"meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3.1"},
      {"meta-llama-Llama-3.2-3B-Instruct.jinja", "llama3.1"},
      {"meta-llama-Llama-3.3-70B-Instruct.jinja", "llama3.1"},
      {"microsoft-Phi-3.5-mini-instruct.jinja", "phi3"},
      {"mistralai-Mistral-Nemo-Instruct-2407.jinja", "mistral-nemo"},
  };
  for (const auto& [file, family] : expected) {
    auto t = ChatTemplate::from_jinja(veil::test::read_shared_text("models/ref/templates/" + file), "<s>", "</s>");
    ASSERT_TRUE(t.ok()) << file;
    EXPECT_EQ(t->family(), family) << file;
  }
}

}  // namespace
}  // namespace veil::engine
