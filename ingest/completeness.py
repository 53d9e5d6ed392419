"""Whether a file's chunks are all stored, so an unchanged file can be skipped unread.

Matching content hashes are not enough: a kill while a file is half stored leaves chunks
with the right hash but not all of them. So before a file's chunks are written, the
number of distinct chunks its content makes is noted per generation and source in
DATA_DIR/files.sqlite; a file counts as unchanged only when the store holds exactly that
many chunks of it, all with its current hash. A note without its chunks (a kill right
after it) only makes the next run read the file again; nothing depends on the crash marker
or on which paths that run is given. With DOCENT_DATABASE_URL the notes are the table
`docent_files` of the database, shared by every worker.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from core.index.backend import postgres_backend
from core.index.damage import damaged
from core.index.paging import get_all, source_filters
from ingest.repair import recorded_ids

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from core.index.store import Store
    from core.settings import Settings

Stored = dict[str, tuple[set[str], int]]  # source → (content hashes, chunk count)
Expected = dict[str, tuple[str, int]]  # source → (content hash, chunk count when complete)

SCHEMA = """CREATE TABLE IF NOT EXISTS files (
    generation TEXT, source TEXT, content_hash TEXT, chunks INTEGER,
    PRIMARY KEY (generation, source))"""


@contextmanager
def _database(settings: Settings) -> Iterator[sqlite3.Connection]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "files.sqlite"
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise damaged(path, exc, "delete it: the next ingest reads every file again "
                          "(nothing stored is lost)") from None
        yield db


class FileNotes:
    """The expected chunk counts of one generation, noted as files are split."""

    def __init__(self, settings: Settings, generation: str) -> None:
        self.settings = settings
        self.generation = generation

    def expected(self) -> Expected:
        if (backend := postgres_backend(self.settings)) is not None:
            rows = backend.file_notes(self.generation)
            return {source: (digest, chunks) for source, digest, chunks in rows}
        with _database(self.settings) as db:
            rows = db.execute("SELECT source, content_hash, chunks FROM files "
                              "WHERE generation = ?", (self.generation,)).fetchall()
        return {source: (digest, chunks) for source, digest, chunks in rows}

    def note(self, source: str, chunks: Sequence[Document]) -> None:
        """Note what a complete store holds of `source` (call before writing `chunks`)."""
        hashes = {str(chunk.metadata.get("content_hash")) for chunk in chunks}
        # `index` stores a chunk once per distinct content and metadata (its id)
        distinct = {(c.page_content, json.dumps(c.metadata, sort_keys=True, default=str))
                    for c in chunks}
        if len(hashes) != 1:
            return
        if (backend := postgres_backend(self.settings)) is not None:
            backend.note_file(self.generation, source, hashes.pop(), len(distinct))
            return
        with _database(self.settings) as db:
            db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                       (self.generation, source, hashes.pop(), len(distinct)))


def forget_generation(settings: Settings, generation: str) -> None:
    """Drop the notes of a deleted generation (on PostgreSQL, dropping it did)."""
    if not settings.database_url and (settings.data_dir / "files.sqlite").exists():
        with _database(settings) as db:
            db.execute("DELETE FROM files WHERE generation = ?", (generation,))


def stored_files(store: Store, sources: Collection[str] | None = None) -> Stored:
    """Source → (content hashes, chunk count) of what is stored, to skip unchanged files;
    only of `sources` when given (a `--watch` batch of one file need not read the
    metadata of all 4,000 chunks: 0.7 s at load 7)."""
    stored: Stored = {}
    for where in source_filters(sources):
        found = get_all(store.vectorstore, ["metadatas"], where)
        # on PostgreSQL a worker killed between a chunk write and its record leaves no
        # crash marker (other workers are writing), and its file looked complete to the
        # worker that took the job over, which skipped it and left 13 chunks unrecorded
        # (tests/test_postgres_workers.py); in a data dir the marker makes the next run
        # check every file
        recorded = recorded_ids(store, where) if store.backend is not None else None
        for chunk_id, meta in zip(found["ids"], found["metadatas"], strict=True):
            if meta and "source" in meta and (recorded is None or chunk_id in recorded):
                hashes, count = stored.get(str(meta["source"]), (set(), 0))
                hashes.add(str(meta.get("content_hash")))
                stored[str(meta["source"])] = (hashes, count + 1)
    return stored


def unchanged(path: Path, source: str, stored: Stored, expected: Expected) -> int:
    """Chunks stored for `source` if they are all those of `path`'s current bytes, else 0."""
    entry, complete = stored.get(source), expected.get(source)
    if entry is None or complete is None or len(entry[0]) != 1 or entry[1] != complete[1]:
        return 0
    try:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop; the loader reports it
        return 0
    return entry[1] if digest in entry[0] and digest == complete[0] else 0
