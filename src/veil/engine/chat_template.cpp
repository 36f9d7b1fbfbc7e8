// Chat-template families: recognition from the Jinja source and rendering.
//
// Each render_* function is the family's Jinja template (or llama.cpp's
// built-in C++ format, for the names llama.cpp has no Jinja file for) written
// out by hand; the comments quote the template expressions they implement.
// Checked byte-for-byte against llama.cpp's renderings in
// ../shared/models/ref/TEMPLATES.json.
#include "veil/engine/chat_template.h"

#include <algorithm>
#include <array>

namespace veil::engine {

enum class ChatTemplate::Family : int {
  kChatml,
  kQwen25,
  kQwen3,
  kLlama3,
  kLlama31,
  kLlama2,
  kLlama2Sys,
  kLlama2SysBos,
  kLlama2Chat,
  kMistral,
  kMistralNemo,
  kZephyr,
  kPhi3,
  kGemma,
  kDeepseekR1,
};

namespace {

using Messages = std::vector<TemplateMessage>;

struct FamilyName {
  ChatTemplate::Family family;
  std::string_view name;
};

std::string_view kStripSpaces = " \t\n\r\v\f";

std::string_view strip(std::string_view s, std::string_view chars = kStripSpaces) {
  const size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}
std::string_view lstrip(std::string_view s, std::string_view chars) {
  const size_t b = s.find_first_not_of(chars);
  return b == std::string_view::npos ? std::string_view() : s.substr(b);
}
std::string_view rstrip(std::string_view s, std::string_view chars) {
  const size_t e = s.find_last_not_of(chars);
  return e == std::string_view::npos ? std::string_view() : s.substr(0, e + 1);
}
bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

Error role_error(std::string message) { return make_error("engine.chat_template_role", std::move(message)); }

Status only_roles(const Messages& messages, std::initializer_list<std::string_view> allowed, std::string_view family) {
  for (const auto& m : messages) {
    if (std::find(allowed.begin(), allowed.end(), m.role) == allowed.end()) {
      return role_error("the " + std::string(family) + " chat template has no '" + m.role + "' role");
    }
  }
  return ok_status();
}

// "Conversation roles must alternate user/assistant/user/assistant/..."
Status alternates(const Messages& messages, size_t first, std::string_view family) {
  for (size_t i = first; i < messages.size(); ++i) {
    const bool expect_user = (i - first) % 2 == 0;
    if ((messages[i].role == "user") != expect_user || (!expect_user && messages[i].role != "assistant")) {
      return role_error("the " + std::string(family) + " chat template needs user/assistant turns alternating");
    }
  }
  return ok_status();
}

// --- ChatML and Qwen ---------------------------------------------------------

// llama.cpp's built-in chatml: '<|im_start|>' + role + '\n' + content + '<|im_end|>\n' for every message,
// after the template's fixed system prompt when it has one and the conversation none.
std::string render_chatml(const Messages& messages, bool add_generation_prompt, const std::string& default_system) {
  std::string out;
  if (!default_system.empty() && !messages.empty() && messages[0].role != "system") {
    out += "<|im_start|>system\n" + default_system + "<|im_end|>\n";
  }
  for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// Qwen's tool results: consecutive 'tool' messages share one user turn.
void append_qwen_tool(std::string& out, const Messages& messages, size_t i) {
  if (i == 0 || messages[i - 1].role != "tool") out += "<|im_start|>user";
  out += "\n<tool_response>\n" + messages[i].content + "\n</tool_response>";
  if (i + 1 == messages.size() || messages[i + 1].role != "tool") out += "<|im_end|>\n";
}

// Qwen2.5-Instruct (no tools): a default system prompt when none is given.
Result<std::string> render_qwen25(const Messages& messages, bool add_generation_prompt) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant", "tool"}, "Qwen2.5"));
  std::string out;
  if (!messages.empty() && messages[0].role == "system") {
    out += "<|im_start|>system\n" + messages[0].content + "<|im_end|>\n";
  } else {
    out += "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n";
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0) || m.role == "assistant") {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    } else if (m.role == "tool") {
      append_qwen_tool(out, messages, i);
    }
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// Qwen3 (no tools): reasoning in <think> blocks is dropped from assistant
// turns before the last user query, kept after it.
Result<std::string> render_qwen3(const Messages& messages, bool add_generation_prompt, const TemplateOptions& options) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant", "tool"}, "Qwen3"));
  std::string out;
  if (!messages.empty() && messages[0].role == "system") {
    out += "<|im_start|>system\n" + messages[0].content + "<|im_end|>\n";
  }
  // ns.last_query_index: the last user message that is not a wrapped tool response.
  size_t last_query = messages.empty() ? 0 : messages.size() - 1;
  for (size_t k = messages.size(); k-- > 0;) {
    const auto& c = messages[k].content;
    if (messages[k].role == "user" && !(starts_with(c, "<tool_response>") && ends_with(c, "</tool_response>"))) {
      last_query = k;
      break;
    }
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0)) {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    } else if (m.role == "assistant") {
      std::string_view content = m.content;
      std::string_view reasoning;
      if (contains(m.content, "</think>")) {
        // content.split('</think>')[-1].lstrip('\n')
        content = lstrip(std::string_view(m.content).substr(m.content.rfind("</think>") + 8), "\n");
        // content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
        std::string_view before = rstrip(std::string_view(m.content).substr(0, m.content.find("</think>")), "\n");
        const size_t open = before.rfind("<think>");
        if (open != std::string_view::npos) before = before.substr(open + 7);
        reasoning = lstrip(before, "\n");
      }
      const bool last = i + 1 == messages.size();
      if (i > last_query && (last || !reasoning.empty())) {
        out += "<|im_start|>assistant\n<think>\n";
        out += strip(reasoning, "\n");
        out += "\n</think>\n\n";
        out += lstrip(content, "\n");
      } else {
        out += "<|im_start|>assistant\n";
        out += content;
      }
      out += "<|im_end|>\n";
    } else if (m.role == "tool") {
      append_qwen_tool(out, messages, i);
    }
  }
  if (add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (!options.enable_thinking) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

// --- Llama 3 -----------------------------------------------------------------

std::string llama3_turn(std::string_view role, std::string_view content) {
  std::string out = "<|start_header_id|>";
  out += role;
  out += "<|end_header_id|>\n\n";
  out += strip(content);  // message['content'] | trim
  out += "<|eot_id|>";
  return out;
}

// Llama 3.0 (llama.cpp's built-in "llama3"): bos + one header turn per message.
Result<std::string> render_llama3(const Messages& messages, bool add_generation_prompt, const std::string& bos) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant"}, "Llama 3"));
  std::string out = bos;
  for (const auto& m : messages) out += llama3_turn(m.role, m.content);
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// Llama 3.1 / 3.2 / 3.3 (no tools): the system turn always exists and opens
// with the knowledge cutoff and today's date.
Result<std::string> render_llama31(const Messages& messages, bool add_generation_prompt, const std::string& bos,
                                   const TemplateOptions& options) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant"}, "Llama 3.1"));
  std::string out = bos;
  size_t first = 0;
  std::string_view system_message;
  if (!messages.empty() && messages[0].role == "system") {
    system_message = strip(messages[0].content);
    first = 1;
  }
  out += "<|start_header_id|>system<|end_header_id|>\n\n";
  out += "Cutting Knowledge Date: December 2023\n";
  out += "Today Date: " + (options.date_string.empty() ? std::string("26 Jul 2024") : options.date_string) + "\n\n";
  out += system_message;
  out += "<|eot_id|>";
  for (size_t i = first; i < messages.size(); ++i) out += llama3_turn(messages[i].role, messages[i].content);
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// --- Llama 2 and Mistral [INST] formats --------------------------------------

// llama.cpp's built-in llama2 formats (src/llama-chat.cpp): "llama2" has no
// system block (the system text is prefixed to the turn), "-sys" wraps it in
// <<SYS>>, "-sys-bos" also opens every later turn with <s>. Any role other
// than system/user is an assistant turn there; here it is an error.
Result<std::string> render_llama2_builtin(const Messages& messages, bool system_block, bool bos_in_history) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant"}, "Llama 2"));
  std::string out = "[INST] ";
  bool inside_turn = true;
  for (const auto& m : messages) {
    if (!inside_turn) {
      inside_turn = true;
      out += bos_in_history ? "<s>[INST] " : "[INST] ";
    }
    if (m.role == "system") {
      out += system_block ? "<<SYS>>\n" + m.content + "\n<</SYS>>\n\n" : m.content + "\n";
    } else if (m.role == "user") {
      out += m.content + " [/INST]";
    } else {
      out += m.content + "</s>";
      inside_turn = false;
    }
  }
  return out;
}

// Meta's Llama-2-chat Jinja template: an optional leading system message goes
// into the first user turn; every user turn opens with bos.
Result<std::string> render_llama2_chat(const Messages& messages, const std::string& bos, const std::string& eos) {
  size_t first = 0;
  std::string system_message;
  if (!messages.empty() && messages[0].role == "system") {
    system_message = messages[0].content;
    first = 1;
  }
  VEIL_TRY(alternates(messages, first, "Llama 2"));
  std::string out;
  for (size_t i = first; i < messages.size(); ++i) {
    std::string content = messages[i].content;
    if (i == first && first == 1) content = "<<SYS>>\n" + system_message + "\n<</SYS>>\n\n" + content;
    if (messages[i].role == "user") {
      out += bos + "[INST] " + std::string(strip(content)) + " [/INST]";
    } else {
      out += " " + std::string(strip(content)) + " " + eos;
    }
  }
  return out;
}

// Mistral-7B-Instruct v0.1/v0.2: bos + '[INST] ' + user + ' [/INST]' and
// assistant + eos (+ ' ' in v0.1); no system role.
Result<std::string> render_mistral(const Messages& messages, const std::string& bos, const std::string& eos,
                                   bool space_after_eos) {
  VEIL_TRY(alternates(messages, 0, "Mistral"));
  std::string out = bos;
  for (const auto& m : messages) {
    if (m.role == "user") {
      out += "[INST] " + m.content + " [/INST]";
    } else {
      out += m.content + eos + (space_after_eos ? " " : "");
    }
  }
  return out;
}

// Mistral-Nemo-Instruct-2407 (no tools): the system message is printed in the
// last message's [INST] block only when that message is a user turn.
Result<std::string> render_mistral_nemo(const Messages& messages, const std::string& bos, const std::string& eos) {
  size_t first = 0;
  const std::string* system_message = nullptr;
  if (!messages.empty() && messages[0].role == "system") {
    system_message = &messages[0].content;
    first = 1;
  }
  VEIL_TRY(alternates(messages, first, "Mistral Nemo"));
  std::string out = bos;
  for (size_t i = first; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.role == "user") {
      if (i + 1 == messages.size() && system_message) {
        out += "[INST]" + *system_message + "\n\n" + m.content + "[/INST]";
      } else {
        out += "[INST]" + m.content + "[/INST]";
      }
    } else {
      out += m.content + eos;
    }
  }
  return out;
}

// --- Zephyr, Phi-3, Gemma, DeepSeek-R1 ---------------------------------------

// '<|' + role + '|>\n' + content + end_of_turn + '\n'.
Result<std::string> render_zephyr(const Messages& messages, bool add_generation_prompt, const std::string& end_of_turn) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant"}, "Zephyr"));
  std::string out;
  for (const auto& m : messages) out += "<|" + m.role + "|>\n" + m.content + end_of_turn + "\n";
  if (add_generation_prompt) out += "<|assistant|>\n";
  return out;
}

// Phi-3/3.5-mini: an empty system message is skipped; without a generation
// prompt the text ends with eos.
Result<std::string> render_phi3(const Messages& messages, bool add_generation_prompt, const std::string& eos) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant"}, "Phi-3"));
  std::string out;
  for (const auto& m : messages) {
    if (m.role == "system" && m.content.empty()) continue;
    out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
  }
  out += add_generation_prompt ? "<|assistant|>\n" : eos;
  return out;
}

// Gemma 2: no system role, so (as llama.cpp's system_message_not_supported
// workaround) a leading system message is merged into the next message as
// system + "\n" + content; turns must then alternate user/model.
Result<std::string> render_gemma(Messages messages, bool add_generation_prompt, const std::string& bos) {
  if (!messages.empty() && messages[0].role == "system") {
    if (messages.size() > 1) {
      messages[1].content = messages[0].content + "\n" + messages[1].content;
      messages.erase(messages.begin());
    } else {
      messages[0].role = "user";
    }
  }
  VEIL_TRY(alternates(messages, 0, "Gemma"));
  std::string out = bos;
  for (const auto& m : messages) {
    out += "<start_of_turn>";
    out += m.role == "assistant" ? "model" : m.role;
    out += "\n";
    out += strip(m.content);  // message['content'] | trim
    out += "<end_of_turn>\n";
  }
  if (add_generation_prompt) out += "<start_of_turn>model\n";
  return out;
}

// DeepSeek-R1-Distill (no tools): bos + the last system message, then
// <｜User｜>/<｜Assistant｜> turns; reasoning before </think> is dropped from
// assistant turns. The generation prompt opens <think> (and closes it at once
// when thinking is disabled).
Result<std::string> render_deepseek_r1(const Messages& messages, bool add_generation_prompt, const std::string& bos,
                                       const TemplateOptions& options) {
  VEIL_TRY(only_roles(messages, {"system", "user", "assistant"}, "DeepSeek-R1"));
  std::string out = bos;
  const TemplateMessage* system_prompt = nullptr;  // ns.system_prompt: the last system message wins
  for (const auto& m : messages) {
    if (m.role == "system") system_prompt = &m;
  }
  if (system_prompt) out += system_prompt->content;
  for (const auto& m : messages) {
    if (m.role == "user") {
      out += "<\xEF\xBD\x9CUser\xEF\xBD\x9C>" + m.content;  // <｜User｜>
    } else if (m.role == "assistant") {
      std::string_view content = m.content;
      if (contains(content, "</think>")) content = content.substr(content.rfind("</think>") + 8);
      out += "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>";
      out += content;
      out += "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";  // <｜end▁of▁sentence｜>
    }
  }
  if (add_generation_prompt) {
    out += "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C><think>\n";
    if (!options.enable_thinking) out += "</think>";
  }
  return out;
}

// A fixed ChatML system prompt written as one Jinja string literal,
// '<|im_start|>system\nTEXT<|im_end|>\n', with its escapes undone; "" if none.
std::string chatml_default_system(std::string_view src) {
  for (char quote : {'\'', '"'}) {
    const std::string opening = std::string(1, quote) + "<|im_start|>system\\n";
    for (size_t at = src.find(opening); at != std::string_view::npos; at = src.find(opening, at + 1)) {
      std::string literal;
      size_t i = at + opening.size();
      for (; i < src.size() && src[i] != quote; ++i) {
        if (src[i] == '\\' && i + 1 < src.size()) {
          const char e = src[++i];
          literal.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        } else {
          literal.push_back(src[i]);
        }
      }
      const std::string_view end_marker = "<|im_end|>\n";
      if (i < src.size() && literal.size() > end_marker.size() && ends_with(literal, end_marker)) {
        return literal.substr(0, literal.size() - end_marker.size());
      }
    }
  }
  return {};
}

const std::array<FamilyName, 15>& family_table() {
  using F = ChatTemplate::Family;
  static const std::array<FamilyName, 15> table = {{
      {F::kChatml, "chatml"},
      {F::kQwen25, "qwen2.5"},
      {F::kQwen3, "qwen3"},
      {F::kLlama3, "llama3"},
      {F::kLlama31, "llama3.1"},
      {F::kLlama2, "llama2"},
      {F::kLlama2Sys, "llama2-sys"},
      {F::kLlama2SysBos, "llama2-sys-bos"},
      {F::kLlama2Chat, "llama2-chat"},
      {F::kMistral, "mistral"},
      {F::kMistralNemo, "mistral-nemo"},
      {F::kZephyr, "zephyr"},
      {F::kPhi3, "phi3"},
      {F::kGemma, "gemma"},
      {F::kDeepseekR1, "deepseek-r1"},
  }};
  return table;
}

}  // namespace

ChatTemplate::ChatTemplate(Family family, std::string bos, std::string eos)
    : family_(family), bos_(std::move(bos)), eos_(std::move(eos)) {}

Result<ChatTemplate> ChatTemplate::from_name(std::string_view family, std::string_view bos_token,
                                             std::string_view eos_token) {
  for (const auto& entry : family_table()) {
    if (entry.name != family) continue;
    // llama.cpp's built-in zephyr ends turns with <|endoftext|> whatever the vocabulary's eos.
    const std::string_view eos = entry.family == Family::kZephyr ? std::string_view("<|endoftext|>") : eos_token;
    return ChatTemplate(entry.family, std::string(bos_token), std::string(eos));
  }
  return make_error("engine.unsupported_chat_template", "unknown chat template name '" + std::string(family) + "'");
}

Result<ChatTemplate> ChatTemplate::from_jinja(std::string_view src, std::string_view bos_token,
                                              std::string_view eos_token) {
  auto make = [&](Family f) { return ChatTemplate(f, std::string(bos_token), std::string(eos_token)); };
  // Markers, most specific first. Each is text the family's official template
  // contains and the others do not.
  if (contains(src, "<\xEF\xBD\x9CUser\xEF\xBD\x9C>") && contains(src, "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>")) {
    return make(Family::kDeepseekR1);
  }
  if (contains(src, "<|im_start|>")) {
    if (contains(src, "<think>")) return make(Family::kQwen3);
    if (contains(src, "You are Qwen, created by Alibaba Cloud.")) return make(Family::kQwen25);
    // Other ChatML templates: only the plain form, where every message is
    // printed as '<|im_start|>' + role + '\n' + content + '<|im_end|>'.
    if (contains(src, "'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'") ||
        contains(src, "'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'") ||
        contains(src, "'<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>'")) {
      ChatTemplate t = make(Family::kChatml);
      t.default_system_ = chatml_default_system(src);
      return t;
    }
  }
  if (contains(src, "<|start_header_id|>") && contains(src, "<|end_header_id|>")) {
    if (contains(src, "Cutting Knowledge Date")) return make(Family::kLlama31);
    if (contains(src, "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>'")) {
      return make(Family::kLlama3);
    }
  }
  if (contains(src, "\"[INST]\" + ") && contains(src, "[/INST]")) return make(Family::kMistralNemo);
  if (contains(src, "'[INST] ' + message['content'] + ' [/INST]'")) return make(Family::kMistral);
  if (contains(src, "<<SYS>>") && contains(src, "bos_token + '[INST] ' + content.strip() + ' [/INST]'")) {
    return make(Family::kLlama2Chat);
  }
  if (contains(src, "<|assistant|>") && contains(src, "<|end|>")) return make(Family::kPhi3);
  if (contains(src, "<|user|>") && contains(src, "<|assistant|>") && contains(src, "eos_token")) {
    return make(Family::kZephyr);
  }
  if (contains(src, "<start_of_turn>") && contains(src, "<end_of_turn>")) return make(Family::kGemma);
  return make_error("engine.unsupported_chat_template",
                    "the model's chat template is not one this engine can render; pass an explicit family name");
}

Result<std::string> ChatTemplate::render(const Messages& messages, bool add_generation_prompt,
                                         const TemplateOptions& options) const {
  switch (family_) {
    case Family::kChatml:
      return render_chatml(messages, add_generation_prompt, default_system_);
    case Family::kQwen25:
      return render_qwen25(messages, add_generation_prompt);
    case Family::kQwen3:
      return render_qwen3(messages, add_generation_prompt, options);
    case Family::kLlama3:
      return render_llama3(messages, add_generation_prompt, bos_);
    case Family::kLlama31:
      return render_llama31(messages, add_generation_prompt, bos_, options);
    case Family::kLlama2:
      return render_llama2_builtin(messages, false, false);
    case Family::kLlama2Sys:
      return render_llama2_builtin(messages, true, false);
    case Family::kLlama2SysBos:
      return render_llama2_builtin(messages, true, true);
    case Family::kLlama2Chat:
      return render_llama2_chat(messages, bos_, eos_);
    case Family::kMistral:
      return render_mistral(messages, bos_, eos_, false);
    case Family::kMistralNemo:
      return render_mistral_nemo(messages, bos_, eos_);
    case Family::kZephyr:
      return render_zephyr(messages, add_generation_prompt, eos_);
    case Family::kPhi3:
      return render_phi3(messages, add_generation_prompt, eos_);
    case Family::kGemma:
      return render_gemma(messages, add_generation_prompt, bos_);
    case Family::kDeepseekR1:
      return render_deepseek_r1(messages, add_generation_prompt, bos_, options);
  }
  return make_error("engine.unsupported_chat_template", "unknown chat template family");
}

std::string ChatTemplate::family() const {
  for (const auto& entry : family_table()) {
    if (entry.family == family_) return std::string(entry.name);
  }
  return {};
}

std::vector<std::string> ChatTemplate::stop_strings() const {
  switch (family_) {
    case Family::kChatml:
    case Family::kQwen25:
    case Family::kQwen3:
      return {"<|im_end|>"};
    case Family::kLlama3:
    case Family::kLlama31:
      return {"<|eot_id|>", "<|eom_id|>"};
    case Family::kLlama2:
    case Family::kLlama2Sys:
    case Family::kLlama2SysBos:
      return {"</s>"};
    case Family::kPhi3:
      return {"<|end|>", eos_};
    case Family::kGemma:
      return {"<end_of_turn>"};
    case Family::kDeepseekR1:
      return {"<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"};
    default:  // families whose turns end with the vocabulary's eos
      return {eos_};
  }
}

std::vector<std::string> ChatTemplate::family_names() {
  std::vector<std::string> names;
  for (const auto& entry : family_table()) names.emplace_back(entry.name);
  return names;
}

}  // namespace veil::engine
