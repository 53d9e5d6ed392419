"""`docent ask` through a running `docent serve` of the same data directory: the answer,
evidence and sources come from the server (its fake model), nothing is loaded in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.remote_ask import SERVER_FILE, announced, ask_remote, running_server
from core.errors import DocentError
from graphs.ask_options import Question
from tests.helpers import free_port
from tests.served import API_KEY, Served

LEAVE = "How many days of paid annual leave do full-time employees get?"


@pytest.fixture
def served_env(docent_server: Served, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The CLI's settings point at the server's data directory; returns the results the
    server gave (`run_ask` answers in-process only when it gave none)."""
    import app.remote_ask

    answered: list[dict] = []

    def recorded(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
        result = ask_remote(*args, **kwargs)
        answered.extend([result] if result is not None else [])
        return result

    monkeypatch.setattr(app.remote_ask, "ask_remote", recorded)
    monkeypatch.setenv("DOCENT_DATA_DIR", str(docent_server.settings.data_dir))
    monkeypatch.setenv("DOCENT_API_KEY", API_KEY)
    monkeypatch.setenv("DOCENT_EMBEDDING_MODEL", "test:hashing")
    return answered


def test_ask_streams_the_servers_answer_with_evidence_and_sources(
        docent_server: Served, served_env: list[dict], capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    with announced(docent_server.settings.data_dir, docent_server.url):
        assert main(["ask", LEAVE]) == 0
    shown = capsys.readouterr().out
    assert len(served_env) == 1
    assert shown.startswith("Full-time employees get 18 days of paid annual leave per year [1].")
    assert "Evidence:" in shown and "handbook.pdf, page 2" in shown
    assert not (docent_server.settings.data_dir / SERVER_FILE).exists()


def test_ask_json_from_the_server_has_the_in_process_fields(
        docent_server: Served, served_env: list[dict], capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from graphs.answer import Answer

    with announced(docent_server.settings.data_dir, docent_server.url):
        assert main(["ask", "--json", "-k", "3", LEAVE]) == 0
    result = json.loads(capsys.readouterr().out)
    assert served_env == [{key: result[key] for key in served_env[0]}]
    assert set(Answer.model_fields) <= set(result) and result["answer_kind"] == "answer"
    assert result["evidence"][0]["source"].endswith("handbook.pdf") and len(result["sources"]) <= 3


def test_a_server_that_wants_another_key_is_left_with_one_note(
        docent_server: Served, capsys: pytest.CaptureFixture[str]) -> None:
    """The question is then answered in-process (`run_ask`), not refused."""
    assert ask_remote(docent_server.url, Question(question=LEAVE), api_key="wrong") is None
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith("docent: note: ") and "DOCENT_API_KEY" in note


def test_an_error_of_the_server_is_one_clear_line(docent_server: Served) -> None:
    with pytest.raises(DocentError, match=r"refused the question \(HTTP 400: k: .*1"):
        ask_remote(docent_server.url, Question.model_construct(question=LEAVE, k=0),
                   api_key=API_KEY)


def test_a_server_that_is_gone_is_no_server(tmp_path: Path) -> None:
    assert ask_remote(f"http://127.0.0.1:{free_port()}", Question(question=LEAVE),
                      api_key=None) is None
    data_dir = tmp_path / "data"
    assert running_server(data_dir) is None
    data_dir.mkdir()
    (data_dir / SERVER_FILE).write_text("{not json")
    assert running_server(data_dir) is None
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    (data_dir / SERVER_FILE).write_text(json.dumps({"url": "http://127.0.0.1:9",
                                                    "pid": int(finished.stdout)}))
    assert running_server(data_dir) is None
    (data_dir / SERVER_FILE).write_text(json.dumps({"url": "http://127.0.0.1:9",
                                                    "pid": os.getpid()}))
    assert running_server(data_dir) == "http://127.0.0.1:9"
