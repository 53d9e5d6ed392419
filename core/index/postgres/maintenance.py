"""pg_search's keyword index after a large ingest: its segments merged by a rebuild.

Each write transaction adds a segment to a `bm25` index and every search visits them all
(docs/deployment.md, "pg_search: where the 150 ms went"). pg_search's background merger
brings the count down only partly, `VACUUM` a little more some seconds later, and a rebuild
(`REINDEX INDEX CONCURRENTLY`) the most. Segments (`paradedb.index_info`) after chunks were
written 256 to a transaction, as `ingest.pipeline.index_chunks` batches them (SQuAD's
tokens, pg_search 0.21.14, 3 runs; docs/ingestion.md has the table): 10,000 chunks left
9, settled to 6 or 7, `VACUUM` made 4 to 6, the rebuild 1; 100,000 left 20 to 47, `VACUUM`
10 to 15, the rebuild 4. A rebuild reads the whole table, so it follows only an ingest
that wrote MERGE_AFTER_CHUNKS or more.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from core.errors import DocentError
from core.index.damage import first_line
from core.index.postgres.backend import keyword_index_name
from core.index.postgres.connection import connect

if TYPE_CHECKING:
    import psycopg

# an ingest of 3,000 chunks left 3 segments, of 10,000 it left 6 to 9 after the background
# merges and the rebuild 1: from here the rebuild's read of the whole table buys segments
MERGE_AFTER_CHUNKS = 10_000
# the longest a rebuild waits for a lock or an older transaction before it gives up (a
# warning): a `--reindex` that drops the generation, or a process stuck behind one, may
# otherwise keep it waiting, and the ingest with it, for as long as they run
MERGE_WAIT_S = 60


def segment_count(url: str, generation: str) -> int | None:
    """How many segments the generation's `bm25` index has; None without one."""
    with connect(url) as db:
        index = _existing(db, keyword_index_name(generation))
        if index is None:
            return None
        row = db.execute("SELECT count(*) FROM paradedb.index_info(%s::regclass)",
                         (index,)).fetchone()
    return int(row[0]) if row else 0


def merge_after_ingest(url: str, generation: str, written: int, *, live: bool = True
                       ) -> str | None:
    """After an ingest that wrote `written` chunks (added, updated or deleted) into
    `generation`: when that is MERGE_AFTER_CHUNKS or more, rebuild its `bm25` index so
    searches visit few segments (`merge_segments`). Returns None, or why it could not, in
    one line: the caller warns, the ingest has succeeded all the same."""
    if written < MERGE_AFTER_CHUNKS:
        return None
    try:
        merge_segments(url, generation, live=live)
    except DocentError as exc:
        return f"the keyword index was not merged after the ingest ({exc})"
    return None


def merge_segments(url: str, generation: str, *, live: bool = True) -> bool:
    """Rebuild the generation's `bm25` index. A `live` one (searches may read it) with
    `REINDEX … CONCURRENTLY`, so searches and writes go on; that waits for every older
    transaction of the database, a process waiting for the ingest lock included, so call
    it without holding that lock (held, it stalled until the waiter's lock_timeout). One
    that only its builder reads and writes (`--reindex` before the switch) with a plain
    `REINDEX`, which waits for no one else. Either waits MERGE_WAIT_S at most. Returns
    whether it ran: not when the generation has no such index (no pg_search; dropped
    meanwhile) nor when another process is rebuilding it (never waited for: what it misses
    waits for the next large ingest). A database error is a DocentError of one line."""
    import psycopg
    from psycopg import sql

    name = keyword_index_name(generation)
    held = False  # the rebuild's lock, until the connection closes
    with connect(url) as db:
        try:
            db.execute("SELECT set_config('lock_timeout', %s, false)", (f"{MERGE_WAIT_S}s",))
            row = db.execute("SELECT pg_try_advisory_lock(hashtext(%s))",
                             (f"docent merge {name}",)).fetchone()
            held = bool(row and row[0])
            if not held or _existing(db, name) is None:
                return False
            _drop_leftover(db, name)
            db.execute(sql.SQL("REINDEX INDEX {}{}").format(
                sql.SQL("CONCURRENTLY " if live else ""), sql.Identifier(name)))
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedObject):
            return False  # dropped meanwhile (a `--reindex` switched past it)
        except psycopg.Error as exc:
            if held:
                with suppress(psycopg.Error):  # else the next large ingest drops it
                    _drop_leftover(db, name)
            raise DocentError(first_line(exc)) from None
    return True


def _existing(db: psycopg.Connection, name: str) -> str | None:
    """The index's name when it exists."""
    row = db.execute("SELECT to_regclass(%s)::text", (name,)).fetchone()
    return row[0] if row else None


def _drop_leftover(db: psycopg.Connection, name: str) -> None:
    """Drop the half-built copy (`…_ccnew`, invalid) that a rebuild killed midway leaves:
    PostgreSQL would keep updating it with every write and never use it. Only a rebuild
    makes one, and the caller holds the rebuild's lock, so any there is a leftover."""
    from psycopg import sql

    rows = db.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = (SELECT indrelid FROM pg_index WHERE indexrelid = %s::regclass) "
        "AND NOT i.indisvalid AND c.relname LIKE %s",
        (name, f"{name}_ccnew%")).fetchall()
    for (leftover,) in rows:
        db.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(
            sql.Identifier(leftover)))
