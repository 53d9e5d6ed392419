"""Chat checkpoints in PostgreSQL (langgraph-checkpoint-postgres), so a conversation
started on one `serve` replica continues on another."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from core.index.postgres.connection import database_error, missing_extra
from core.index.postgres.pool import open_pool

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres import PostgresSaver

SETUP_LOCK = "hashtext('docent chat checkpoints')"
SETUP_POLL_S = 0.1


@contextmanager
def postgres_checkpointer(url: str) -> Iterator[PostgresSaver]:
    """LangGraph's PostgresSaver on the database, over a pool of the connections it expects,
    its tables made when missing."""
    try:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
    except ImportError:
        raise missing_extra() from None
    with open_pool(url, prepare_threshold=0, row_factory=dict_row) as pool:
        try:
            with pool.connection() as connection:
                # one process at a time: replicas starting together each created the same
                # table (a unique violation). A try-lock, not pg_advisory_lock: a session
                # waiting inside that statement is a transaction the setup's CREATE INDEX
                # CONCURRENTLY waits for, a deadlock
                while not connection.execute(
                        f"SELECT pg_try_advisory_lock({SETUP_LOCK}) AS locked"
                ).fetchone()["locked"]:
                    time.sleep(SETUP_POLL_S)
                try:
                    PostgresSaver(connection).setup()
                finally:
                    connection.execute(f"SELECT pg_advisory_unlock({SETUP_LOCK})")
        except psycopg.Error as exc:  # no right to create the tables, say
            raise database_error(url, exc) from None
        yield PostgresSaver(pool)
