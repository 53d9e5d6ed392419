"""Langfuse tracing on the wire: the real SDK posts OTLP/HTTP protobuf to a local receiver."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, free_port
from tests.servers import serving

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

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as url:
        received.base_url = url
        yield received


def _keys(base_url: str) -> dict[str, str]:
    return {"LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET,
            "LANGFUSE_BASE_URL": base_url}


def _run(*args: str, base_url: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_keys(base_url), "DOCENT_ANSWER_CACHE": "false", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "app", "--log-level", "DEBUG", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


def _traces(spans: list[Span]) -> dict[str, list[Span]]:
    """trace id → its spans, in the order they arrived."""
    traces: dict[str, list[Span]] = {}
    for span in spans:
        traces.setdefault(span.trace_id, []).append(span)
    return traces


def _assert_one_trace_per_run(trace: list[Span], nodes: tuple[str, ...]) -> Span:
    """One root, and each node once, right under it; returns the root."""
    (root,) = [span for span in trace if span.parent_id == ""]
    names = [span.name for span in trace]
    for node in nodes:
        assert names.count(node) == 1, names
        (span,) = [span for span in trace if span.name == node]
        assert span.parent_id == root.span_id, node
        assert span.attr("langfuse.observation.metadata.langgraph_node") == node
    return root


@pytest.mark.slow
@pytest.mark.llm
def test_one_ask_is_one_trace_with_the_node_spans(sample_env: Path, receiver: Receiver) -> None:
    done = _run("ask", QUESTION, "--json", base_url=receiver.base_url)
    assert done.returncode == 0, done.stderr
    assert "18 days" in json.loads(done.stdout)["evidence"][0]["text"]
    assert SECRET not in done.stdout + done.stderr

    expected = "Basic " + base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode()
    assert receiver.auth == {expected}
    assert set(receiver.paths) == {"/api/public/otel/v1/traces"}
    spans = {span.name: span for span in receiver.spans}
    # the graph is bound to the handler (for Studio) and ask passes it too: still one trace
    (trace,) = _traces(receiver.spans).values()
    root = _assert_one_trace_per_run(trace, ("retrieve", "select", "generate"))
    assert root.name == "ask"
    assert set(root.attr("langfuse.trace.tags")) == {"backend:llamacpp",
                                                      "model:packaged:gemma3-270m"}

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
    assert generation.attr("langfuse.observation.output")


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
    probe = ("from graphs.runner import answer\nfrom graphs.context import Context\n"
             "from core.tracing import flush\n"
             "print(answer('What is the capital of Mongolia?', Context(),"
             " thread_id='thread-42').refused)\nflush()\n")
    env = {**os.environ, "LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET,
           "LANGFUSE_BASE_URL": receiver.base_url, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"]
    assert {span.attr("session.id") for span in receiver.spans} == {"thread-42"}
    assert {"retrieve", "select", "refuse"} <= {span.name for span in receiver.spans}


def _wait_for(receiver: Receiver, done: Any, timeout: float = 60) -> dict[str, list[Span]]:
    """The traces once `done(traces)` holds (the server's SDK sends every few seconds)."""
    deadline = time.monotonic() + timeout
    while not done(traces := _traces(list(receiver.spans))):
        if time.monotonic() > deadline:
            pytest.fail(f"no complete traces after {timeout:.0f} s: "
                        f"{[(s.name, s.trace_id) for s in receiver.spans]}")
        time.sleep(0.2)
    return traces


@pytest.mark.slow
@pytest.mark.llm
def test_a_studio_run_is_one_trace(tmp_path: Path, receiver: Receiver) -> None:
    """`langgraph dev` runs the graphs of langgraph.json with its own config: each run of the
    indexer and of the RAG graph is one trace, as an ask from the CLI is."""
    import httpx

    from tests.helpers import SAMPLE_DATA
    from tests.servers import langgraph_dev

    env = {**_keys(receiver.base_url), "LANGFUSE_FLUSH_INTERVAL": "0.5"}
    with langgraph_dev(tmp_path, **env) as api, httpx.Client(base_url=api, timeout=600) as client:
        ingested = client.post("/runs/wait", json={
            "assistant_id": "indexer",
            "input": {"paths": [str(SAMPLE_DATA / "handbook.pdf")]}}).json()
        assert ingested["report"]["added"] > 0, ingested
        thread = client.post("/threads", json={}).json()["thread_id"]
        answered = client.post(f"/threads/{thread}/runs/wait", json={
            "assistant_id": "docent", "input": {"question": QUESTION},
            "context": {"k": 2}}).json()
        assert "18 days" in answered["evidence"][0]["text"], answered
        traces = _wait_for(receiver, lambda traces: len(traces) == 2 and any(
            s.name == "generate" for t in traces.values() for s in t) and all(
            any(s.parent_id == "" for s in t) for t in traces.values()))

    expected = "Basic " + base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode()
    assert receiver.auth == {expected}
    index_trace, rag_trace = sorted(traces.values(),
                                    key=lambda t: any(s.name == "generate" for s in t))
    index_root = _assert_one_trace_per_run(index_trace, ("ingest",))
    assert index_root.name == "docent-indexer"
    assert index_root.attr("langfuse.observation.output")["report"]["added"] > 0
    rag_root = _assert_one_trace_per_run(rag_trace, ("retrieve", "select", "generate"))
    assert rag_root.name == "docent-rag"
    assert rag_root.attr("langfuse.trace.metadata.thread_id") == thread
    assert rag_root.attr("langfuse.observation.input")["question"] == QUESTION
    assert "18 days" in rag_root.attr("langfuse.observation.output")["evidence"][0]["text"]
    generation = next(s for s in rag_trace
                      if s.attr("langfuse.observation.type") == "generation")
    assert QUESTION in generation.attr("langfuse.observation.input")
    usage = generation.attr("langfuse.observation.usage_details")
    assert usage["prompt_tokens"] > 100 and usage["completion_tokens"] > 0


@pytest.mark.slow
def test_unreachable_langfuse_costs_seconds_not_the_run(sample_env: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    done = _run("ask", "What is the capital of Mongolia?", "--json", base_url=dead, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["refused"] is True
    assert SECRET not in done.stdout + done.stderr


def test_a_bound_graph_is_one_trace_per_run_with_or_without_run_config(
        receiver: Receiver) -> None:
    """`traced` binds the handler; run_config passes the same one: each run is one trace."""
    probe = (
        "import asyncio\nfrom typing import TypedDict\n"
        "from langgraph.graph import END, START, StateGraph\n"
        "from core.settings import Settings\n"
        "from core.tracing import flush, langfuse_handler, run_config, traced\n"
        "class S(TypedDict):\n    x: int\n"
        "builder = StateGraph(S)\n"
        "builder.add_node('double', lambda s: {'x': s['x'] * 2})\n"
        "builder.add_node('inc', lambda s: {'x': s['x'] + 1})\n"
        "builder.add_edge(START, 'double')\nbuilder.add_edge('double', 'inc')\n"
        "builder.add_edge('inc', END)\n"
        "graph = traced(builder.compile(name='probe'))\n"
        # count the runs the one Langfuse handler is told of: a handler listed twice hears twice
        "handler = langfuse_handler()\nstarted = handler.on_chain_start\nroots = []\n"
        "def on_chain_start(*args, **kwargs):\n"
        "    if kwargs.get('parent_run_id') is None:\n        roots.append(kwargs['run_id'])\n"
        "    return started(*args, **kwargs)\n"
        "handler.on_chain_start = on_chain_start\n"
        # as the API server runs it: astream with its own config, no callbacks
        "async def served():\n"
        "    async for _ in graph.astream({'x': 1}, {'configurable': {'thread_id': 't'}},"
        " stream_mode=['values', 'debug']):\n        pass\n"
        "asyncio.run(served())\n"
        "print(graph.invoke({'x': 2}, config=run_config(Settings(), 'ask'))['x'], len(roots))\n"
        "flush()\n"
    )
    env = {**os.environ, **_keys(receiver.base_url)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5", "2"]
    traces = _traces(receiver.spans)
    assert len(traces) == 2, [(s.name, s.trace_id) for s in receiver.spans]
    roots = sorted(_assert_one_trace_per_run(trace, ("double", "inc")).name
                   for trace in traces.values())
    assert roots == ["ask", "probe"]


def test_without_keys_no_handler_and_no_langfuse_import(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = ("import sys\nfrom core.settings import Settings\nfrom core.tracing import run_config\n"
             "config = run_config(Settings(), 'ask')\n"
             "from graphs.chat_graph import chat_graph\nfrom graphs.graph import graph\n"
             "from graphs.indexer import indexer\n"
             "print(config['callbacks'], [g.config for g in (graph, chat_graph, indexer)],"
             " 'langfuse' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGFUSE_")}
    env["LANGFUSE_BASE_URL"] = "http://127.0.0.1:9"  # a host without keys is not enough
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, env=env, check=True).stdout
    assert out.split() == ["[]", "[None,", "None,", "None]", "False"]


@pytest.mark.slow
def test_an_unreachable_host_is_one_docent_line(tmp_path: Path) -> None:
    """Not the OpenTelemetry exporter's WARNING and ERROR lines for each retry and flush."""
    dead = f"http://127.0.0.1:{free_port()}"
    probe = (
        "from langchain_core.runnables import RunnableLambda\n"
        "from core import tracing\n"
        "from core.settings import Settings\n"
        "config = tracing.run_config(Settings(_env_file=None), 'probe')\n"
        "for n in range(2):\n"
        "    RunnableLambda(lambda x: x + 1, name='step').invoke(n, config=config)\n"
        "    tracing.flush()\n"
        "print('ran')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **_keys(dead)}, timeout=120)
    assert done.returncode == 0 and done.stdout == "ran\n", done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"docent: warning: tracing to Langfuse at {dead} failed")
    assert "opentelemetry" not in done.stderr.lower() and SECRET not in done.stderr
