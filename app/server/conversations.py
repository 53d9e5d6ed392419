"""The web app's conversations: the chat graph (memory, follow-ups made standalone) over
the same checkpointer as `docent chat` (app.chat.chat_checkpointer), one thread per
conversation."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from core.settings import Settings

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

# the threads, the latest written first: the same `checkpoints` table in LangGraph's SQLite
# and PostgreSQL savers (its list() would read every checkpoint of every thread)
LATEST_THREADS = ("SELECT thread_id FROM checkpoints GROUP BY thread_id "
                  "ORDER BY MAX(checkpoint_id) DESC")


class Conversations:
    """The chat graph compiled over the conversations' checkpointer, and the threads it
    holds."""

    def __init__(self, settings: Settings) -> None:
        from app.chat import chat_checkpointer
        from graphs.chat_graph import build_chat_graph

        self._open = ExitStack()
        self.checkpointer = self._open.enter_context(chat_checkpointer(settings))
        self.graph = build_chat_graph().compile(checkpointer=self.checkpointer,
                                                name="docent-chat")

    def messages(self, thread_id: str) -> list[dict[str, Any]]:
        """The thread's turns; an answer with the sources and evidence it was given with."""
        state = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return [{"role": "user" if m.type == "human" else "assistant",
                 "content": str(m.content),
                 "details": _located(m.additional_kwargs.get("docent"))}
                for m in state.values.get("messages", [])]

    def threads(self) -> list[dict[str, Any]]:
        """Every conversation, the latest first, titled by its first question."""
        listed = []
        for thread_id in thread_ids(self.checkpointer):
            first = next(iter(self.messages(thread_id)), None)
            listed.append({"id": thread_id, "title": first["content"] if first else thread_id})
        return listed

    def delete(self, thread_id: str) -> None:
        self.checkpointer.delete_thread(thread_id)

    def close(self) -> None:
        self._open.close()


def thread_ids(checkpointer: BaseCheckpointSaver) -> list[str]:
    """The saver's threads, the latest written first, in one query on its engine."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    if isinstance(checkpointer, SqliteSaver):
        with checkpointer.lock:
            return [row[0] for row in checkpointer.conn.execute(LATEST_THREADS)]
    from langgraph.checkpoint.postgres import PostgresSaver

    assert isinstance(checkpointer, PostgresSaver)
    with checkpointer._cursor() as cursor:  # the saver's pool, as its own reads use it
        return [row["thread_id"] for row in cursor.execute(LATEST_THREADS)]


def _located(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """An answer's details with `locator` on every source and evidence: turns saved before
    references carried it have only `page`, which then still shows."""
    from graphs.locator import locator

    if details:
        for ref in [*details.get("sources", []), *details.get("evidence", [])]:
            ref.setdefault("locator", locator(ref))
    return details
