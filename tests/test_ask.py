"""End to end on the real stack: Chroma, MiniLM embeddings and the packaged GGUF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.llm]


def _ask(question: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", "ask", question, *extra],
                          capture_output=True, text=True, cwd=ROOT)


def test_answer_comes_from_the_one_document_that_holds_it(sample_env: Path) -> None:
    done = _ask("How many days of paid annual leave do full-time employees get?", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    first = result["sources"][0]
    assert Path(first["source"]).name == "handbook.pdf" and first["page"] == 2
    assert len(first["chunk_id"]) == 64 and 0 < first["score"] <= 1
    # the evidence is docent's, the answer the model's: only its shape is checked here
    evidence = result["evidence"][0]
    assert "18 days of paid annual leave" in evidence["text"] and evidence["page"] == 2
    assert result["answer"] and result["answer_kind"] in ("answer", "extracted", "evidence",
                                                          "refusal")


def test_streamed_answer_then_numbered_sources(sample_env: Path) -> None:
    done = _ask("At what temperature does a dark roast end?")
    assert done.returncode == 0, done.stderr
    assert "llama_" not in done.stderr  # llama.cpp's load notes stay out of the terminal
    # the evidence sentence is shown, as the answer's quote or under "Evidence:"
    shown, sources = done.stdout.split("Sources:\n", 1)
    assert "230 °C" in shown
    assert sources.startswith("[1] ") and "roasting-schedule.md" in sources.splitlines()[0]


def test_off_topic_question_is_refused_without_calling_the_model(sample_env: Path) -> None:
    from graphs.context import Context
    from graphs.graph import graph

    updates = list(graph.stream({"question": "What is the capital of Mongolia?"},
                                context=Context(), stream_mode="updates"))
    assert [next(iter(u)) for u in updates] == ["retrieve", "select", "refuse"]
    assert updates[-1]["refuse"]["answer"] == "The documents do not say."


def test_asking_an_empty_store_says_how_to_ingest(data_dir: Path) -> None:
    done = _ask("Anything?")
    assert done.returncode == 2
    assert "python -m app ingest" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_gguf_names_the_file(sample_env: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    done = subprocess.run(
        [sys.executable, "-m", "app", "ask", "How many days of paid leave?"],
        capture_output=True, text=True, cwd=ROOT,
        env={**__import__("os").environ, "DOCENT_LLM_MODEL": str(missing)},
    )
    assert done.returncode == 2
    assert f"GGUF model not found: {missing}" in done.stderr
