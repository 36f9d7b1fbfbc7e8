// Chat templates: turning a conversation into the prompt text a model was
// trained on.
//
// GGUF files carry the HF Jinja template (`tokenizer.chat_template`). Rather
// than run arbitrary Jinja, the template's family is recognised from
// distinctive markers in its source and rendered by a hand-written formatter
// that reproduces what llama.cpp renders for it byte-for-byte (checked against
// ../shared/models/ref/TEMPLATES.json). A template that matches no family is an
// error ("engine.unsupported_chat_template"), never a guess.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "veil/base/result.h"

namespace veil::engine {

struct TemplateMessage {
  std::string role;     // "system" | "user" | "assistant"
  std::string content;
};

// Options that HF templates read as extra variables.
struct TemplateOptions {
  // Qwen3 / DeepSeek-R1: llama.cpp passes enable_thinking (default true).
  // false makes the generation prompt close an empty <think> block.
  bool enable_thinking = true;
  // Llama 3.1+ print "Today Date: <date_string>". llama.cpp passes today's
  // date ("%d %b %Y"); the caller supplies it (time is a parameter). Empty:
  // the template's own fallback, "26 Jul 2024".
  std::string date_string;
};

class ChatTemplate {
 public:
  // Recognises the family from the Jinja source. bos_token/eos_token are the
  // vocabulary's texts for those tokens (templates print them).
  static Result<ChatTemplate> from_jinja(std::string_view jinja_source, std::string_view bos_token,
                                         std::string_view eos_token);
  // An explicit family (--chat-template): one of family_names(), e.g.
  // "chatml", "qwen3", "llama3", "llama2", "mistral", "zephyr", "phi3",
  // "gemma", "deepseek-r1". Error "engine.unsupported_chat_template" otherwise.
  static Result<ChatTemplate> from_name(std::string_view family, std::string_view bos_token,
                                        std::string_view eos_token);

  // The prompt text. Errors ("engine.chat_template_role") for conversations
  // the family cannot express (an unknown role, a misplaced system message,
  // roles not alternating where the template requires it).
  // Some families start the text with bos_token (Llama 3, Gemma, Mistral,
  // DeepSeek): tokenize with parse_special and, as llama.cpp does, do not add
  // another BOS when the text already starts with it.
  Result<std::string> render(const std::vector<TemplateMessage>& messages, bool add_generation_prompt,
                             const TemplateOptions& options = {}) const;

  // The recognised family name (one of the from_name names).
  std::string family() const;
  // Texts that end an assistant turn for this family ("<|im_end|>", "<|eot_id|>").
  std::vector<std::string> stop_strings() const;
  // Every family name from_name accepts.
  static std::vector<std::string> family_names();

  enum class Family : int;  // defined in chat_template.cpp

 private:
  ChatTemplate(Family family, std::string bos, std::string eos);
  Family family_;
  std::string bos_;
  std::string eos_;
  // ChatML templates that print a fixed system prompt when the conversation
  // has none (SmolLM2 and the like): that prompt.
  std::string default_system_;
};

}  // namespace veil::engine
