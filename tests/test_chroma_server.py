"""Chroma server mode: a real `chroma run` holds the vectors; records stay in the data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_DATA, free_port
from tests.servers import running_server

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

    env = {**os.environ, "DOCENT_CHROMA_HOST": "127.0.0.1",
           "DOCENT_CHROMA_PORT": str(chroma_server), "DOCENT_LLM_CACHE": "false",
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
    assert "18" in result["answer"]
    assert Path(result["sources"][0]["source"]).name == "handbook.pdf"


def test_unreachable_chroma_server_is_one_clear_line(data_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DOCENT_CHROMA_HOST": "127.0.0.1", "DOCENT_CHROMA_PORT": str(port),
           "DOCENT_CHROMA_AUTH_TOKEN": "tok-secret-123"}
    done = subprocess.run([sys.executable, "-m", "app", "ask", "anything?"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 2
    assert f"Chroma server http://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr and "tok-secret-123" not in done.stderr
