"""Chat checkpoints in PostgreSQL: a thread written through one connection continues
through another (two `serve` replicas)."""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any, TypedDict

import pytest

from core.errors import DocentError
from core.index.postgres.checkpoints import postgres_checkpointer


class Turns(TypedDict):
    said: Annotated[list[str], operator.add]


def conversation(checkpointer: Any) -> Any:
    """A graph that answers each turn with its number."""
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(Turns)
    graph.add_node("echo", lambda state: {"said": [f"turn {len(state['said'])}"]})
    graph.add_edge(START, "echo")
    graph.add_edge("echo", END)
    return graph.compile(checkpointer=checkpointer)


def test_a_thread_continues_on_another_connection(database_url: str) -> None:
    thread = {"configurable": {"thread_id": f"test-{uuid.uuid4().hex}"}}
    with postgres_checkpointer(database_url) as first:
        conversation(first).invoke({"said": ["hello"]}, thread)
    with postgres_checkpointer(database_url) as second:
        state = conversation(second).invoke({"said": ["again"]}, thread)
    assert state["said"] == ["hello", "turn 1", "again", "turn 3"]


def test_an_unreachable_server_is_one_line() -> None:
    with pytest.raises(DocentError, match=r"^PostgreSQL postgresql://x:\*\*\*@127\.0\.0\.1:1/"
                                          r"none \(DOCENT_DATABASE_URL\): [^\n]+$"), \
            postgres_checkpointer("postgresql://x:pw@127.0.0.1:1/none"):
        pass
