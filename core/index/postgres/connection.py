"""Connections to DOCENT_DATABASE_URL: the extensions docent needs, and one clear line when
the server cannot be reached or lacks them."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from core.errors import DocentError
from core.index.damage import first_line

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 10


def shown_url(url: str) -> str:
    """The URL with its password replaced by ***, fit for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def database_error(url: str, exc: BaseException) -> DocentError:
    """The one line for a database docent cannot use: which one (password as ***), why."""
    return DocentError(f"PostgreSQL {shown_url(url)} (DOCENT_DATABASE_URL): {first_line(exc)}")


def missing_extra() -> DocentError:
    return DocentError("DOCENT_DATABASE_URL needs the postgres extra: "
                       "pip install 'docent[postgres]'")


def sqlalchemy_url(url: str) -> str:
    """The same database for SQLAlchemy, through psycopg 3 (its default is psycopg2)."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres"):
        raise DocentError(f"{shown_url(url)} (DOCENT_DATABASE_URL): not a postgresql:// URL")
    return f"postgresql+psycopg://{rest}"


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection with pgvector's types registered (the extension is created
    when missing, which needs the right to create it)."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError:
        raise missing_extra() from None
    sqlalchemy_url(url)  # the scheme check
    try:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        if connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'"
                              ).fetchone() is None:
            _create_extension(connection, "vector")
        register_vector(connection)
    except psycopg.Error as exc:
        raise database_error(url, exc) from None
    return connection


def create_schema(connection: psycopg.Connection, statements: str) -> None:
    """Run `CREATE … IF NOT EXISTS` statements one process at a time: two creating one
    table at once raise a unique violation or "type … already exists"
    (test_postgres_shared_state's replicas starting together)."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(hashtext('docent schema'))")
        connection.execute(statements)


def _create_extension(connection: psycopg.Connection, name: str) -> None:
    """CREATE EXTENSION, serialised across processes (two at once collide on its catalog)."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(hashtext('docent extensions'))")
        connection.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")


def has_pg_search(connection: psycopg.Connection) -> bool:
    """Whether the database has pg_search's `bm25` index, creating the extension when the
    server offers it; managed services mostly do not (docent then ranks with bm25s)."""
    import psycopg

    installed = connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_search'"
                                   ).fetchone()
    if installed:
        return True
    offered = connection.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_search'").fetchone()
    if not offered:
        return False
    try:
        _create_extension(connection, "pg_search")
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True
