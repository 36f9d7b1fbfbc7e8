// Chat templates on arbitrary input: recognising arbitrary "Jinja" text and
// rendering arbitrary conversations with every family never crashes, and a
// recognised template always renders or returns an error.
//
// Input: text up to the first NUL is the template source; the rest is a
// conversation, messages separated by NUL, each "role\x01content".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "veil/engine/chat_template.h"

using veil::engine::ChatTemplate;
using veil::engine::TemplateMessage;
using veil::engine::TemplateOptions;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view source = input.substr(0, split);
  std::vector<TemplateMessage> messages;
  if (split != std::string_view::npos) {
    std::string_view rest = input.substr(split + 1);
    while (!rest.empty() && messages.size() < 64) {
      const size_t end = rest.find('\0');
      const std::string_view item = rest.substr(0, end);
      const size_t sep = item.find('\x01');
      if (sep == std::string_view::npos) {
        messages.push_back({"user", std::string(item)});
      } else {
        messages.push_back({std::string(item.substr(0, sep)), std::string(item.substr(sep + 1))});
      }
      if (end == std::string_view::npos) break;
      rest = rest.substr(end + 1);
    }
  }
  TemplateOptions options;
  options.enable_thinking = size % 2 == 0;

  auto from_source = ChatTemplate::from_jinja(source, "<s>", "</s>");
  if (from_source.ok()) {
    (void)from_source->render(messages, true, options);
    (void)from_source->render(messages, false, options);
  }
  for (const auto& name : ChatTemplate::family_names()) {
    auto t = ChatTemplate::from_name(name, "<s>", "</s>");
    if (!t.ok()) std::abort();
    (void)t->render(messages, size % 3 == 0, options);
  }
  (void)ChatTemplate::from_name(source, "", "");
  return 0;
}
