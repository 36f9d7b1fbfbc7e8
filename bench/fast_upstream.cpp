// A fast OpenAI-shaped upstream for the node-overhead benchmark: fixed
// answers, no model, so that what is measured is the hop in front of it.
#include <csignal>
#include <memory>
#include <cstdio>
#include <string>

#include "veil/base/log.h"
#include "veil/net/http_server.h"

int main(int argc, char** argv) {
  veil::log::set_level(veil::log::Level::warn);
  veil::net::HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = argc > 1 ? static_cast<uint16_t>(std::stoi(argv[1])) : 0;
  o.io_threads = 1;
  const std::string body =
      "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"bench\","
      "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello! How can I help you today?\"},"
      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9,\"total_tokens\":18}}";
  std::string stream;
  for (const char* piece : {"Hello", "!", " How", " can", " I", " help", " you", " today", "?"}) {
    stream += std::string("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                          "\"model\":\"bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"") +
              piece + "\"},\"finish_reason\":null}]}\n\n";
  }
  stream += "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\","
            "\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9,\"total_tokens\":18}}\n\ndata: [DONE]\n\n";
  auto answer = [&](const veil::net::HttpRequest& req, veil::net::ResponseWriter& w) {
    if (req.body.find("\"stream\":true") != std::string::npos) {
      w.begin_stream(200, "text/event-stream");
      w.write(stream);
      w.end_stream();
    } else {
      w.send(200, "application/json", body);
    }
  };
  // Answered on the I/O thread itself (no worker hand-off): the upstream costs
  // as little, and behaves as alike, as it can whichever proxy calls it.
  auto server = veil::net::HttpServer::start(
      o, answer, [&](veil::net::HttpRequest& req, const std::shared_ptr<veil::net::AsyncResponseWriter>& w) {
        answer(req, *w);
        return true;
      });
  if (!server.ok()) {
    std::fprintf(stderr, "fast_upstream: %s\n", server.error().to_string().c_str());
    return 1;
  }
  std::printf("ready port=%u\n", (*server)->port());
  std::fflush(stdout);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  int sig;
  sigwait(&s, &sig);
  (*server)->stop(std::chrono::milliseconds(100));
  return 0;
}
