"""Connection pools on DOCENT_DATABASE_URL for what several threads share (a `serve`
replica's answers and conversations, an ingest's batches): a connection the server dropped
(a restart) is replaced instead of failing every later call."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from core.index.postgres.connection import (
    CONNECT_TIMEOUT_S,
    database_error,
    missing_extra,
    sqlalchemy_url,
)

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

# connections per pool: a replica's concurrent answers each hold one only while they read
# or write
POOL_SIZE = 4


def open_pool(url: str, **options: Any) -> ConnectionPool[Any]:
    """A pool of autocommit connections made with `options`; its first connection is made
    now, so an unreachable server or a missing extra is one clear line at start."""
    try:
        import psycopg
        from psycopg_pool import ConnectionPool
    except ImportError:
        raise missing_extra() from None
    sqlalchemy_url(url)  # the scheme check
    options = {"autocommit": True, **options}
    try:
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, **options).close()
    except psycopg.Error as exc:
        raise database_error(url, exc) from None
    return ConnectionPool(url, min_size=1, max_size=POOL_SIZE, kwargs=options,
                          check=ConnectionPool.check_connection, timeout=CONNECT_TIMEOUT_S,
                          open=True)


@cache
def shared_pool(url: str) -> ConnectionPool[Any]:
    """One pool per database in a process, for the caches (open until the process ends)."""
    return open_pool(url)
