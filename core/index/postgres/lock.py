"""The ingest lock as a PostgreSQL advisory lock: one ingest per collection across every
machine that shares the database. The lock belongs to a connection of its own, so a
process that dies (kill -9 included) releases it when the server sees the connection go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import DocentError
from core.index.postgres.connection import connect, shown_url


@contextmanager
def advisory_lock(url: str, collection: str, wait_s: float, *, shared: bool = False,
                  purpose: str = "ingest") -> Iterator[None]:
    """Hold collection `collection`'s `purpose` lock, `shared` with other shared holders
    or alone; a holder it conflicts with makes it wait up to `wait_s`, then fail with one
    line."""
    import psycopg

    connection = connect(url)
    try:
        # lock_timeout bounds the wait for any lock, advisory ones included; 0 would mean
        # no bound, so the shortest wait is 1 ms
        connection.execute("SELECT set_config('lock_timeout', %s, false)",
                           (f"{max(1, round(wait_s * 1000))}ms",))
        function = "pg_advisory_lock_shared" if shared else "pg_advisory_lock"
        try:
            connection.execute(f"SELECT {function}(hashtextextended(%s, 0))",
                               (f"docent {purpose} {collection}",))
        except psycopg.errors.LockNotAvailable:
            raise DocentError(f"another {purpose} is running on collection {collection!r} of "
                              f"{shown_url(url)} (waited {wait_s:g} s)") from None
        yield
    finally:
        connection.close()  # ends the session, and with it the lock
