#!/usr/bin/env python3
"""A tiny OpenAI-compatible upstream for demos and benchmarks (not a model).

Answers /v1/chat/completions (streaming and not), /v1/completions and
/v1/models with a fixed text. Usage: dev-upstream.py PORT
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEXT = "This answer comes from Veil's development upstream, not from a model."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: no request lines on stderr
        pass

    def _json(self, obj, status=200):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/v1/models":
            self._json({"object": "list", "data": [{"id": "dev", "object": "model"}]})
        else:
            self._json({"error": {"message": "not found"}}, 404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        chat = self.path.endswith("/chat/completions")
        created = int(time.time())
        if not req.get("stream"):
            choice = {"index": 0, "finish_reason": "stop"}
            if chat:
                choice["message"] = {"role": "assistant", "content": TEXT}
            else:
                choice["text"] = TEXT
            self._json({"id": "chatcmpl-dev%d" % time.time_ns(), "object": "chat.completion" if chat else "text_completion",
                        "created": created, "model": req.get("model", "dev"), "choices": [choice],
                        "usage": {"prompt_tokens": 8, "completion_tokens": 12, "total_tokens": 20}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cid = "chatcmpl-dev%d" % time.time_ns()

        def send(data):
            line = ("data: " + data + "\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))

        for word in TEXT.split(" "):
            delta = {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
            send(json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created,
                             "model": req.get("model", "dev"), "choices": [delta]}))
        send(json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created, "model": req.get("model", "dev"),
                         "choices": [], "usage": {"prompt_tokens": 8, "completion_tokens": 12, "total_tokens": 20}}))
        send("[DONE]")
        self.wfile.write(b"0\r\n\r\n")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8000), Handler)
    print("dev upstream on port %d" % server.server_address[1], flush=True)
    server.serve_forever()
