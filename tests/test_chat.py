"""`docent chat`: memory per thread (SQLite checkpointer) and follow-ups made standalone."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphs.chat_followup import refers_back, standalone_question
from tests.helpers import ROOT


@pytest.mark.parametrize("question", [
    "Tell me more about that.", "What is it used for?", "And an americano?",
    "What about weekends?", "Why do they do this?", "그건 얼마예요?", "거기서 원두도 파나요?",
    "주말에는요?", "그 사람은 누구예요?",
])
def test_follow_ups_that_refer_back_are_detected(question: str) -> None:
    assert refers_back(question)


@pytest.mark.parametrize("question", [
    "How many days of paid annual leave do full-time employees get?",
    "How long should cold brew steep?", "매장은 평일 몇 시에 문을 여나요?",
    "개인 텀블러를 가져오면 얼마를 할인해 주나요?",
])
def test_standalone_questions_are_left_alone(question: str) -> None:
    assert not refers_back(question)


def test_standalone_form_carries_the_earlier_question() -> None:
    assert standalone_question(" Why? ", "Who roasts? ") == "Who roasts? Why?"


FIRST = "How many kilograms of green beans does the drum roaster hold?"
FOLLOW_UP = "Tell me more about that."


@pytest.mark.slow
@pytest.mark.llm
def test_follow_up_in_a_later_process_uses_the_first_turn(
    sample_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.chat import chat
    from graphs.context import Context
    from graphs.runner import answer

    monkeypatch.setenv("DOCENT_ANSWER_CACHE", "false")
    # on its own the follow-up names nothing: refused
    assert answer(FOLLOW_UP, Context()).refused is True

    out = io.StringIO()
    chat([FIRST], Context(), "roaster-thread", out, as_json=True)
    first = json.loads(out.getvalue())
    assert first["thread"] == "roaster-thread" and first["answer"]
    assert "12 kilograms" in first["evidence"][0]["text"]

    # a new process continues the thread from the SQLite checkpointer, reading stdin lines
    done = subprocess.run(
        [sys.executable, "-m", "app", "chat", "--thread", "roaster-thread", "--json"],
        input=FOLLOW_UP + "\n", capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "DOCENT_DATA_DIR": str(sample_env)}, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    second = json.loads(line)
    assert second["asked"] == FOLLOW_UP
    assert second["question"] == f"{FIRST} {FOLLOW_UP}"
    assert second["answer"] and "12 kilograms" in second["evidence"][0]["text"]
    assert Path(second["sources"][0]["source"]).name == "roasting-schedule.md"
    assert (sample_env / "chat.sqlite").is_file()
