"""`docent chat` and the chat graph: memory per thread (SQLite checkpointer), follow-ups
answered as their standalone form and kept as typed, refused turns never merged (fake models
over the sample documents; the rules themselves: tests/test_followups.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tests.test_answer_path as answer_path
from core.resources import Resources
from graphs.context import Context
from tests.fakes import completion_model
from tests.helpers import ROOT

# the sample documents ingested with the fake embedding (tests/test_answer_path.py's fixtures)
fake_store, resources_with = answer_path.fake_store, answer_path.resources_with


LEAVE = "How many days of paid annual leave do full-time employees get?"
PART_TIME = "What about part-time employees?"


def _turn(graph: Any, thread: str, question: str, resources: Resources
          ) -> tuple[dict[str, Any], list[str]]:
    """One question in `thread`: the thread's state after it, and the nodes that ran."""
    config = {"configurable": {"thread_id": thread}}
    ran = [next(iter(update)) for update in graph.stream(
        {"question": question}, context=Context(resources=resources), config=config,
        stream_mode="updates")]
    return graph.get_state(config).values, ran


@pytest.fixture
def chat_graph() -> Any:
    from langgraph.checkpoint.memory import InMemorySaver

    from graphs.chat_graph import build_chat_graph

    return build_chat_graph().compile(checkpointer=InMemorySaver())


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
    assert second["question"] == "Tell me more about the drum roaster."
    assert second["answer"] and second["refused"] is False
    assert "roasting-schedule.md" in {Path(s["source"]).name for s in second["sources"]}
    assert (sample_env / "chat.sqlite").is_file()


def test_follow_up_is_answered_standalone_and_kept_as_typed(
        chat_graph: Any, resources_with: Callable[..., Resources]) -> None:
    resources = resources_with(completion_model(["18 days", "18 days"]))
    first, ran = _turn(chat_graph, "leave", LEAVE, resources)
    assert "condense" not in ran and first["question"] == first["asked"] == LEAVE

    second, ran = _turn(chat_graph, "leave", PART_TIME, resources)
    standalone = "How many days of paid annual leave do part-time employees get?"
    assert ran[:3] == ["receive", "condense", "retrieve"] and ran[-1] == "remember"
    assert (second["question"], second["asked"]) == (standalone, PART_TIME)
    assert second["refused"] is False
    # the conversation shows what was typed; the standalone form is kept beside it
    asked = [m for m in second["messages"] if m.type == "human"]
    assert [m.content for m in asked] == [LEAVE, PART_TIME]
    assert asked[0].additional_kwargs == {}
    assert asked[1].additional_kwargs == {"docent": {"understood_as": standalone}}


def test_a_question_after_a_refused_turn_is_not_merged_with_it(
        chat_graph: Any, resources_with: Callable[..., Resources]) -> None:
    resources = resources_with(completion_model([]))  # fails if a model is called
    refused, _ = _turn(chat_graph, "ceo", "Who is the CEO of Samsung?", resources)
    assert refused["refused"] is True
    assert refused["messages"][-1].additional_kwargs["docent"]["refused"] is True
    for question in ("What about Apple?", "How old is he?"):
        state, ran = _turn(chat_graph, "ceo", question, resources)
        assert "condense" not in ran and state["question"] == question
        # a refused turn stays refused: the next question is not merged with it either
        assert state["refused"] is True


def test_turns_read_a_refusal_from_the_answer_text_of_an_older_thread() -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    from graphs.chat_graph import turns

    old = [HumanMessage("Who is the CEO of Samsung?"), AIMessage("The documents do not say."),
           HumanMessage("Where is the roastery?"), AIMessage("In Busan [1].",
                                                             additional_kwargs={"docent": {}})]
    assert [(t.question, t.refused) for t in turns(old)] == [
        ("Who is the CEO of Samsung?", True), ("Where is the roastery?", False)]
