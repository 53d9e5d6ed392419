"""`docent chat`: questions in a row, one conversation kept per thread (in DATA_DIR's
SQLite, or in PostgreSQL when DOCENT_DATABASE_URL is set)."""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from graphs.context import Context

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from core.settings import Settings

EXIT_WORDS = frozenset({"/exit", "/quit", "exit", "quit"})


def new_thread_id() -> str:
    return uuid.uuid4().hex[:12]


def read_questions(source: IO[str], prompt_to: IO[str] | None) -> Iterator[str]:
    """Non-empty lines until end of input or /exit; with `prompt_to`, show `> ` first."""
    while True:
        if prompt_to is not None:
            prompt_to.write("> ")
            prompt_to.flush()
        line = source.readline()
        if not line or line.strip() in EXIT_WORDS:
            return
        if line.strip():
            yield line.strip()


@contextmanager
def chat_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver]:
    """Where the conversations are kept, for `docent chat` and `serve` alike: PostgreSQL
    when DOCENT_DATABASE_URL is set (every replica sees every thread), else
    DATA_DIR/chat.sqlite."""
    if settings.database_url:
        from core.index.postgres.checkpoints import postgres_checkpointer

        with postgres_checkpointer(settings.database_url) as saver:
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    from core.index.damage import damaged

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # the saver serialises its own use of the connection (it holds a lock)
    with SqliteSaver.from_conn_string(str(settings.chat_db)) as saver:
        try:
            saver.setup()
        except sqlite3.DatabaseError as exc:
            raise damaged(settings.chat_db, exc, "move it aside: it only holds the "
                          "conversations (new ones start without it)") from None
        yield saver


def chat(questions: Iterable[str], context: Context, thread_id: str, out: IO[str],
         as_json: bool = False) -> int:
    """Answer each question in turn; follow-ups that refer back are made standalone first.
    Returns 2 when a question was rejected (too long), else 0."""
    from app.ask import print_answer
    from core.resources import default_resources
    from graphs.chat_graph import build_chat_graph
    from graphs.question import QuestionError
    from graphs.runner import answer

    settings = (context.resources or default_resources()).settings
    rejected = 0
    with chat_checkpointer(settings) as checkpointer:
        graph = build_chat_graph().compile(checkpointer=checkpointer, name="docent-chat")
        for question in questions:
            try:
                result = answer(question, context, graph=graph, thread_id=thread_id)
            except QuestionError as exc:  # one bad line does not end the conversation
                print(f"docent: error: {exc}", file=sys.stderr)
                rejected = 2
                continue
            if as_json:
                out.write(json.dumps({"thread": thread_id, **result.model_dump()},
                                     ensure_ascii=False) + "\n")
            else:
                if result.question != result.asked:
                    out.write(f"(understood as: {result.question})\n")
                print_answer(result.model_dump(), out)
            out.flush()
    return rejected


def run_chat(thread: str | None, context: Context, as_json: bool) -> int:
    """The CLI entry: stdin lines (or a `> ` prompt on a terminal) into `chat`."""
    thread_id = thread or new_thread_id()
    interactive = sys.stdin.isatty()
    if not as_json:
        print(f"thread {thread_id} (continue it later with --thread {thread_id})",
              file=sys.stderr)
    questions = read_questions(sys.stdin, sys.stdout if interactive else None)
    return chat(questions, context, thread_id, sys.stdout, as_json=as_json)
