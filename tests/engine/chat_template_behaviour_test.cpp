// Chat-template recognition, errors and the parts of the families that the
// llama.cpp reference conversations do not reach.
#include <gtest/gtest.h>

#include "veil/engine/chat_template.h"

namespace veil::engine {
namespace {

using Messages = std::vector<TemplateMessage>;

ChatTemplate named(std::string_view family, std::string_view bos = "<s>", std::string_view eos = "</s>") {
  auto t = ChatTemplate::from_name(family, bos, eos);
  EXPECT_TRUE(t.ok()) << family;
  return std::move(t).value();
}

TEST(ChatTemplate, UnknownTemplatesAreErrors) {
  for (std::string_view src : {"", "{{ messages }}", "{% for m in messages %}[INST]{{ m.content }}{% endfor %}",
                               "{% for m in messages %}<|im_start|>{{ m.role }}: {{ m.content }}{% endfor %}"}) {
    auto t = ChatTemplate::from_jinja(src, "<s>", "</s>");
    ASSERT_FALSE(t.ok()) << src;
    EXPECT_EQ(t.error().code, "engine.unsupported_chat_template");
  }
  auto t = ChatTemplate::from_name("vicuna", "", "");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "engine.unsupported_chat_template");
}

TEST(ChatTemplate, EveryNameRoundTrips) {
  const auto names = ChatTemplate::family_names();
  EXPECT_GE(names.size(), 15u);
  for (const auto& name : names) {
    const ChatTemplate t = named(name);
    EXPECT_EQ(t.family(), name);
    EXPECT_FALSE(t.stop_strings().empty());
    // Every family renders a plain user turn.
    auto r = t.render({{"user", "hi"}}, true);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().to_string();
    EXPECT_NE(r->find("hi"), std::string::npos) << name;
  }
}

TEST(ChatTemplate, RecognisesPlainChatmlAndLlama3) {
  auto chatml = ChatTemplate::from_jinja(
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
      "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
      "", "<|im_end|>");
  ASSERT_TRUE(chatml.ok());
  EXPECT_EQ(chatml->family(), "chatml");
  EXPECT_EQ(*chatml->render({{"system", "S"}, {"user", "U"}}, true),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");

  auto llama3 = ChatTemplate::from_jinja(
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
      "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 "
      "%}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
      "'<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
      "<|begin_of_text|>", "<|eot_id|>");
  ASSERT_TRUE(llama3.ok());
  EXPECT_EQ(llama3->family(), "llama3");
  EXPECT_EQ(*llama3->render({{"user", " Hi "}}, true),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, ChatmlWithAFixedDefaultSystemPrompt) {
  // SmolLM2's template: a fixed system prompt when the conversation has none.
  auto t = ChatTemplate::from_jinja(
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
      "'<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
      "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
      "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
      "<|im_start|>", "<|im_end|>");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->family(), "chatml");
  EXPECT_EQ(*t->render({{"user", "U"}}, true),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            "<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(*t->render({{"system", "S"}, {"user", "U"}}, false),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
}

TEST(ChatTemplate, RoleErrors) {
  // Gemma, Mistral and Llama-2-chat need alternating user/assistant turns.
  for (std::string_view family : {"gemma", "mistral", "mistral-nemo", "llama2-chat"}) {
    auto r = named(family).render({{"user", "a"}, {"user", "b"}}, true);
    ASSERT_FALSE(r.ok()) << family;
    EXPECT_EQ(r.error().code, "engine.chat_template_role");
    EXPECT_FALSE(named(family).render({{"assistant", "a"}}, true).ok()) << family;
  }
  // Mistral v0.1 has no system role.
  EXPECT_FALSE(named("mistral").render({{"system", "s"}, {"user", "u"}}, true).ok());
  // Unknown roles everywhere except plain ChatML, which prints any role.
  for (const auto& name : ChatTemplate::family_names()) {
    auto r = named(name).render({{"user", "u"}, {"narrator", "n"}}, true);
    if (name == "chatml") {
      EXPECT_TRUE(r.ok());
    } else {
      EXPECT_FALSE(r.ok()) << name;
    }
  }
  // Error messages carry no conversation content.
  auto r = named("gemma").render({{"user", "secret-1"}, {"user", "secret-2"}}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("secret"), std::string::npos);
}

TEST(ChatTemplate, Qwen3ThinkingInHistory) {
  const ChatTemplate t = named("qwen3", "<|endoftext|>", "<|im_end|>");
  // Reasoning of a turn before the last user query is dropped.
  auto r = t.render({{"user", "q1"}, {"assistant", "<think>\nplan\n</think>\n\nanswer"}, {"user", "q2"}}, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\nanswer<|im_end|>\n"
            "<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n");
  // A final assistant turn (a prefill) keeps its reasoning, normalised.
  r = t.render({{"user", "q"}, {"assistant", "<think>\n\nplan\n\n</think>\n\nanswer"}}, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nplan\n</think>\n\nanswer<|im_end|>\n");
  // Tool results are wrapped in one user turn.
  r = t.render({{"user", "q"}, {"tool", "r1"}, {"tool", "r2"}}, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n"
            "<tool_response>\nr2\n</tool_response><|im_end|>\n");
  TemplateOptions no_think;
  no_think.enable_thinking = false;
  EXPECT_EQ(*t.render({{"user", "q"}}, true, no_think),
            "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  EXPECT_EQ(t.stop_strings(), std::vector<std::string>{"<|im_end|>"});
}

TEST(ChatTemplate, DeepSeekDropsReasoningAndUsesLastSystem) {
  const ChatTemplate t = named("deepseek-r1", "<BOS>", "<EOS>");
  auto r = t.render({{"system", "s1"}, {"user", "q"}, {"assistant", "<think>x</think>A"}, {"system", "s2"}}, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "<BOS>s2<\xEF\xBD\x9CUser\xEF\xBD\x9C>q<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>A<\xEF\xBD\x9C"
            "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C><\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C><think>\n");
}

TEST(ChatTemplate, PhiWithoutGenerationPromptEndsWithEos) {
  const ChatTemplate t = named("phi3", "<s>", "<|endoftext|>");
  EXPECT_EQ(*t.render({{"system", ""}, {"user", "u"}, {"assistant", "a"}}, false),
            "<|user|>\nu<|end|>\n<|assistant|>\na<|end|>\n<|endoftext|>");
}

TEST(ChatTemplate, Llama31DateAndSystem) {
  const ChatTemplate t = named("llama3.1", "<|begin_of_text|>", "<|eot_id|>");
  TemplateOptions o;
  o.date_string = "01 Jan 2027";
  EXPECT_EQ(*t.render({{"system", " S "}, {"user", "U"}}, false, o),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 01 Jan 2027\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>");
}

TEST(ChatTemplate, Llama2ChatIsMetasTemplate) {
  const ChatTemplate t = named("llama2-chat", "<s>", "</s>");
  // strip() applies to the whole first turn, system block included.
  EXPECT_EQ(*t.render({{"system", "S"}, {"user", " U1 "}, {"assistant", " A "}, {"user", "U2"}}, true),
            "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\n U1 [/INST] A </s><s>[INST] U2 [/INST]");
}

TEST(ChatTemplate, EmptyConversation) {
  for (const auto& name : ChatTemplate::family_names()) {
    auto r = named(name).render({}, true);
    EXPECT_TRUE(r.ok()) << name;  // nothing to reject; never a crash
  }
}

}  // namespace
}  // namespace veil::engine
