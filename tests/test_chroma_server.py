"""Chroma server mode: a real `chroma run` holds the vectors; records stay in the data dir."""

from __future__ import annotations

import hmac
import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAMPLE_DATA, free_port
from tests.servers import running_server, serving

pytestmark = [pytest.mark.slow, pytest.mark.llm]

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """`chroma run` on a free port over a temporary path; its port. Stopped afterwards."""
    port = free_port()
    with running_server(
        [str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
         "--port", str(port)],
        f"http://127.0.0.1:{port}/api/v2/heartbeat", tmp_path / "chroma.log", timeout=60,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    ):
        yield port


def test_ingest_and_ask_against_a_chroma_server(chroma_server: int, data_dir: Path) -> None:
    import chromadb

    env = {**os.environ, "DOCENT_CHROMA_URL": f"http://127.0.0.1:{chroma_server}",
           "DOCENT_ANSWER_CACHE": "false",
           "HF_HUB_OFFLINE": "1"}

    def docent(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                              text=True, cwd=ROOT, env=env)

    ingested = docent("ingest", str(SAMPLE_DATA / "handbook.pdf"), "--json")
    assert ingested.returncode == 0, ingested.stderr
    added = json.loads(ingested.stdout)["added"]
    assert added > 0

    server = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    assert server.get_collection("docent").count() == added
    assert not (data_dir / "chroma").exists()  # the vectors are on the server only
    assert (data_dir / "records.sqlite").exists()  # the record manager stays local

    again = docent("ingest", str(SAMPLE_DATA / "handbook.pdf"), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped"] == added

    server.delete_collection("docent")  # e.g. the server was reset: docent re-adds it all
    rebuilt = docent("ingest", str(SAMPLE_DATA / "handbook.pdf"), "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["added"] == added
    assert server.get_collection("docent").count() == added

    answered = docent("ask", "How many days of paid annual leave do full-time employees get?",
                      "--json")
    assert answered.returncode == 0, answered.stderr
    result = json.loads(answered.stdout)
    assert "18 days" in result["evidence"][0]["text"] and result["answer"]
    assert Path(result["sources"][0]["source"]).name == "handbook.pdf"


def test_unreachable_chroma_server_is_one_clear_line(data_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DOCENT_CHROMA_URL": f"http://127.0.0.1:{port}",
           "DOCENT_CHROMA_TOKEN": "tok-secret-123"}
    done = subprocess.run([sys.executable, "-m", "app", "ask", "anything?"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 2
    assert f"Chroma server http://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr and "tok-secret-123" not in done.stderr


class _GateServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: int, header: str, value: str) -> None:
        super().__init__(("127.0.0.1", 0), _TokenGate)
        self.upstream, self.header, self.value = upstream, header, value
        self.forwarded: list[str] = []  # "METHOD /path" of each request let through
        self.refused: list[int] = []  # the status of each request turned away


class _TokenGate(BaseHTTPRequestHandler):
    """Chroma's token auth in front of a `chroma run` that has none: without the header 401,
    with a wrong value 403 (Chroma's JSON error body); else the request goes on unchanged."""

    protocol_version = "HTTP/1.1"
    server: _GateServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        got = self.headers.get(self.server.header)
        if got is None or not hmac.compare_digest(got, self.server.value):
            status, message = (401, "Unauthorized") if got is None else (403, "Forbidden")
            self.server.refused.append(status)
            error = json.dumps({"error": "AuthError", "message": message}).encode()
            self._reply(status, [("Content-Type", "application/json")], error)
            return
        self.server.forwarded.append(f"{self.command} {self.path}")
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=120)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True,
                                skip_accept_encoding=True)
            for name, value in self.headers.items():
                upstream.putheader(name, value)
            upstream.endheaders(body or None)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        hop = {"connection", "content-length", "transfer-encoding", "keep-alive"}
        self._reply(answer.status, [(k, v) for k, v in answer.getheaders()
                                    if k.lower() not in hop], data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


@contextmanager
def token_gate(upstream: int, header: str, value: str) -> Iterator[_GateServer]:
    """A token-checking reverse proxy on 127.0.0.1 in front of port `upstream`."""
    gate = _GateServer(upstream, header, value)
    with serving(gate):
        yield gate


@pytest.mark.parametrize("header", ["Authorization", "X-Chroma-Token"])
def test_token_auth_through_a_token_checking_proxy(chroma_server: int, data_dir: Path,
                                                  header: str) -> None:
    """`chroma run` 1.5 has no auth of its own (no setting turns it on), so a proxy checks the
    token docent sends: the right one gets ingest and ask through, a wrong or missing one is
    one error line (exit 2) that names the setting and never shows the token."""
    import chromadb

    token, wrong = "tok-right-5d8e1f", "tok-wrong-93ac07"
    with token_gate(chroma_server, header,
                    f"Bearer {token}" if header == "Authorization" else token) as gate:
        env = {**os.environ, "DOCENT_CHROMA_URL": f"http://127.0.0.1:{gate.server_address[1]}",
               "DOCENT_ANSWER_CACHE": "false",
               "HF_HUB_OFFLINE": "1"}

        def docent(sent: str, *args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                                  text=True, cwd=ROOT,
                                  env={**env, "DOCENT_CHROMA_TOKEN": sent})

        ingested = docent(token, "ingest", str(SAMPLE_DATA / "handbook.pdf"), "--json")
        assert ingested.returncode == 0, ingested.stderr
        added = json.loads(ingested.stdout)["added"]
        assert added > 0 and not gate.refused
        assert any("/upsert" in request for request in gate.forwarded)
        server = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)  # behind the proxy
        assert server.get_collection("docent").count() == added

        answered = docent(token, "ask",
                          "How many days of paid annual leave do full-time employees get?",
                          "--json")
        assert answered.returncode == 0, answered.stderr
        assert "18 days" in json.loads(answered.stdout)["evidence"][0]["text"]

        refused = {"wrong token": docent(wrong, "ask", "anything?"),
                   "no token": docent("", "ingest", str(SAMPLE_DATA / "handbook.pdf"))}
        assert gate.refused == [403, 401]
        for case, done in refused.items():
            lines = done.stderr.strip().splitlines()
            assert done.returncode == 2 and len(lines) == 1, (case, done.stderr)
            assert lines[0].startswith(
                f"docent: error: Chroma server http://127.0.0.1:{gate.server_address[1]}")
            assert "DOCENT_CHROMA_TOKEN" in lines[0], (case, lines[0])
            output = done.stdout + done.stderr
            assert token not in output and wrong not in output and "Bearer" not in output
        assert server.get_collection("docent").count() == added  # nothing got through
