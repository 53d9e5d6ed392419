"""Langfuse tracing on the wire: the real SDK posts OTLP/HTTP protobuf to a local receiver."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, free_port

PUBLIC, SECRET = "pk-lf-docent-test", "sk-lf-docent-secret-value"
QUESTION = "How many days of paid annual leave do full-time employees get?"


@dataclass
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]

    def attr(self, key: str) -> Any:
        """An attribute; Langfuse JSON-encodes inputs, outputs and metadata as strings."""
        value = self.attributes.get(key)
        try:
            return json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            return value


@dataclass
class Receiver:
    """What a Langfuse server's OTLP endpoint would have received."""

    base_url: str
    paths: list[str] = field(default_factory=list)
    auth: set[str] = field(default_factory=set)
    spans: list[Span] = field(default_factory=list)


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def _decode(body: bytes) -> list[Span]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    return [Span(span.name, span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex(),
                 {a.key: _value(a.value) for a in span.attributes})
            for resource in request.resource_spans for scope in resource.scope_spans
            for span in scope.spans]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    server: ThreadingHTTPServer
    received = Receiver(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.paths.append(self.path)
            received.auth.add(self.headers.get("Authorization", ""))
            if self.path == "/api/public/otel/v1/traces":
                received.spans.extend(_decode(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()
            self.wfile.write(ExportTraceServiceResponse().SerializeToString())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()


def _run(*args: str, base_url: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET,
           "LANGFUSE_BASE_URL": base_url, "DOCENT_LLM_CACHE": "false", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "app", "--log-level", "DEBUG", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


@pytest.mark.slow
@pytest.mark.llm
def test_one_ask_is_one_trace_with_the_node_spans(sample_env: Path, receiver: Receiver) -> None:
    done = _run("ask", QUESTION, "--json", base_url=receiver.base_url)
    assert done.returncode == 0, done.stderr
    assert "18" in json.loads(done.stdout)["answer"]
    assert SECRET not in done.stdout + done.stderr

    expected = "Basic " + base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode()
    assert receiver.auth == {expected}
    assert set(receiver.paths) == {"/api/public/otel/v1/traces"}
    spans = {span.name: span for span in receiver.spans}
    assert len({span.trace_id for span in receiver.spans}) == 1
    root = spans["ask"]
    assert root.parent_id == ""
    assert set(root.attr("langfuse.trace.tags")) == {"backend:llamacpp",
                                                      "model:packaged:gemma3-270m"}
    for node in ("retrieve", "rerank", "generate"):
        assert spans[node].parent_id == root.span_id, node
        assert spans[node].attr("langfuse.observation.metadata.langgraph_node") == node

    candidates = spans["retrieve"].attr("langfuse.observation.output")["candidates"]
    scores = [c["metadata"]["score"] for c in candidates]
    assert scores and all(isinstance(score, float) for score in scores) and max(scores) > 0
    assert any("handbook.pdf" in c["metadata"]["source"] for c in candidates)

    generation = next(s for s in receiver.spans
                      if s.attr("langfuse.observation.type") == "generation")
    assert QUESTION in generation.attr("langfuse.observation.input")
    assert "Full-time employees receive 18 days" in generation.attr("langfuse.observation.input")
    assert generation.attr("langfuse.observation.model.name").endswith(".gguf")
    usage = generation.attr("langfuse.observation.usage_details")
    assert usage["prompt_tokens"] > 100 and usage["completion_tokens"] > 0
    assert "18" in generation.attr("langfuse.observation.output")


@pytest.mark.slow
def test_ingest_is_one_trace(data_dir: Path, tmp_path: Path, receiver: Receiver) -> None:
    doc = tmp_path / "docs" / "note.md"
    doc.parent.mkdir()
    doc.write_text("# Note\n\nThe espresso machine is descaled every Friday.\n")
    done = _run("ingest", str(doc.parent), base_url=receiver.base_url)
    assert done.returncode == 0, done.stderr
    (span,) = receiver.spans
    assert span.name == "ingest" and span.parent_id == ""
    assert span.attr("langfuse.observation.output")["chunks"] == 1


@pytest.mark.slow
def test_a_chat_thread_is_the_trace_session(sample_env: Path, receiver: Receiver) -> None:
    probe = ("from app.ask import ask\nfrom graphs.context import Context\n"
             "from app.tracing import flush\n"
             "print(ask('What is the capital of Mongolia?', Context(),"
             " session_id='thread-42')['refused'])\nflush()\n")
    env = {**os.environ, "LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET,
           "LANGFUSE_BASE_URL": receiver.base_url, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"]
    assert {span.attr("session.id") for span in receiver.spans} == {"thread-42"}
    assert {"retrieve", "rerank", "refuse"} <= {span.name for span in receiver.spans}


@pytest.mark.slow
def test_unreachable_langfuse_costs_seconds_not_the_run(sample_env: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = _run("ask", "What is the capital of Mongolia?", "--json", base_url=dead, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["refused"] is True
    assert time.monotonic() - started < 60
    assert SECRET not in done.stdout + done.stderr


def test_without_keys_no_handler_and_no_langfuse_import(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = ("import sys\nfrom app.settings import Settings\nfrom app.tracing import run_config\n"
             "config = run_config(Settings(), 'ask')\n"
             "print(config['callbacks'], 'langfuse' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGFUSE_")}
    env["LANGFUSE_BASE_URL"] = "http://127.0.0.1:9"  # a host without keys is not enough
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, env=env, check=True).stdout
    assert out.split() == ["[]", "False"]
