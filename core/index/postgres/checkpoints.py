"""Chat checkpoints in PostgreSQL (langgraph-checkpoint-postgres), so a conversation
started on one `serve` replica continues on another."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from core.errors import DocentError
from core.index.damage import first_line
from core.index.postgres.connection import shown_url, sqlalchemy_url

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres import PostgresSaver


@contextmanager
def postgres_checkpointer(url: str) -> Iterator[PostgresSaver]:
    """LangGraph's PostgresSaver on the database, its tables made when missing."""
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver

    sqlalchemy_url(url)  # the scheme check
    try:
        with PostgresSaver.from_conn_string(url) as saver:
            saver.setup()
            yield saver
    except psycopg.OperationalError as exc:
        raise DocentError(f"PostgreSQL {shown_url(url)} (DOCENT_DATABASE_URL): "
                          f"{first_line(exc)}") from None
