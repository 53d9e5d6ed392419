"""A stand-in for the Ollama daemon (which cannot be installed here), speaking its wire format.

`POST /api/chat` answers NDJSON: one `{"model","created_at","message":{"role","content"},
"done":false}` line per piece of the reply, then a `"done":true` line with `done_reason`,
`prompt_eval_count` and `eval_count`, as the daemon does (ChatOllama streams even for
invoke()). `GET /api/tags` lists the models. Each request body is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers import serving

CREATED_AT = "2026-11-22T02:00:00.000000Z"


@dataclass
class OllamaStandIn:
    model: str
    reply: list[str]
    url: str = ""
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _handler(standin: OllamaStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `standin.requests` instead."""

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            standin.requests.append((self.path, {}))
            if self.path != "/api/tags":
                self._send(404, "text/plain", b"404 page not found")
                return
            tags = {"models": [{
                "name": standin.model, "model": standin.model, "modified_at": CREATED_AT,
                "size": 291554930, "digest": "e" * 64,
                "details": {"parent_model": "", "format": "gguf", "family": "gemma3",
                            "families": ["gemma3"], "parameter_size": "268.10M",
                            "quantization_level": "Q8_0"},
            }]}
            self._send(200, "application/json; charset=utf-8", json.dumps(tags).encode())

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            standin.requests.append((self.path, body))
            if self.path != "/api/chat":
                self._send(404, "text/plain", b"404 page not found")
                return
            lines = [{"model": standin.model, "created_at": CREATED_AT,
                      "message": {"role": "assistant", "content": piece}, "done": False}
                     for piece in standin.reply]
            lines.append({"model": standin.model, "created_at": CREATED_AT,
                          "message": {"role": "assistant", "content": ""}, "done": True,
                          "done_reason": "stop", "total_duration": 1_200_000_000,
                          "load_duration": 50_000_000, "prompt_eval_count": 412,
                          "prompt_eval_duration": 800_000_000, "eval_count": len(standin.reply),
                          "eval_duration": 300_000_000})
            payload = "".join(json.dumps(line) + "\n" for line in lines).encode()
            self._send(200, "application/x-ndjson", payload)

    return Handler


@contextmanager
def serve_ollama(model: str, reply: list[str]) -> Iterator[OllamaStandIn]:
    """Run the stand-in on a free port of 127.0.0.1 for the duration of the block."""
    standin = OllamaStandIn(model=model, reply=reply)
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))) as url:
        standin.url = url
        yield standin
