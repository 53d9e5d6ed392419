"""The web app's conversations: the chat graph (memory, follow-ups made standalone) over
the same SQLite checkpointer as `docent chat`, one thread per conversation."""

from __future__ import annotations

import sqlite3
from typing import Any

from core.settings import Settings


class Conversations:
    """The chat graph compiled over DATA_DIR/chat.sqlite, and the threads it holds."""

    def __init__(self, settings: Settings) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        from graphs.chat_graph import build_chat_graph

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # the saver serialises its own use of the connection (it holds a lock)
        self.connection = sqlite3.connect(str(settings.chat_db), check_same_thread=False)
        self.checkpointer = SqliteSaver(self.connection)
        self.checkpointer.setup()
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
        with self.checkpointer.lock:
            rows = self.connection.execute(
                "SELECT thread_id, MAX(checkpoint_id) AS last FROM checkpoints "
                "GROUP BY thread_id ORDER BY last DESC").fetchall()
        listed = []
        for thread_id, _ in rows:
            first = next(iter(self.messages(thread_id)), None)
            listed.append({"id": thread_id, "title": first["content"] if first else thread_id})
        return listed

    def delete(self, thread_id: str) -> None:
        self.checkpointer.delete_thread(thread_id)

    def close(self) -> None:
        self.connection.close()


def _located(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """An answer's details with `locator` on every source and evidence: turns saved before
    references carried it have only `page`, which then still shows."""
    from graphs.locator import locator

    if details:
        for ref in [*details.get("sources", []), *details.get("evidence", [])]:
            ref.setdefault("locator", locator(ref))
    return details
