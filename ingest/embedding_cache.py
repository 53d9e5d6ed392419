"""The embedding cache: vectors by content hash in one SQLite file (not one file per text),
or in PostgreSQL when DOCENT_DATABASE_URL is set."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.stores import ByteStore

from core.index.damage import damaged
from ingest.progress import ProgressEmbeddings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from core.settings import Settings


class SQLiteByteStore(ByteStore):
    """Key/value bytes in a single SQLite table (WAL mode, safe against kill -9)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB)")
        except sqlite3.DatabaseError as exc:
            raise damaged(path, exc, "delete it: unchanged text is embedded again on the "
                          "next ingest (nothing stored is lost)") from None

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = list(keys[start : start + 500])
                marks = ",".join("?" * len(part))
                found.update(self._db.execute(
                    f"SELECT key, value FROM kv WHERE key IN ({marks})", part))
        return [found.get(key) for key in keys]

    def mset(self, key_value_pairs: Sequence[tuple[str, bytes]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", key_value_pairs)
            self._db.execute("COMMIT")

    def mdelete(self, keys: Sequence[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM kv WHERE key = ?", [(key,) for key in keys])

    def yield_keys(self, *, prefix: str | None = None) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute("SELECT key FROM kv").fetchall()
        for (key,) in rows:
            if prefix is None or key.startswith(prefix):
                yield key


FLOAT32 = b"\0"  # starts the values written as float32 bytes (a JSON text never does)


def pack_vector(vector: Sequence[float]) -> bytes:
    """A vector as a marker byte and float32 bytes (1.5 kB for 384 dimensions)."""
    return FLOAT32 + array("f", vector).tobytes()


def unpack_vector(value: bytes) -> list[float]:
    """A stored vector: float32 bytes, or the JSON list an older docent wrote.

    JSON made up 16 s of a 185 s ingest of ../shared/docs (cProfile, idle); the encoders
    give float32, so the bytes hold the same values."""
    if not value.startswith(FLOAT32):
        vector: list[float] = json.loads(value)
        return vector
    floats = array("f")
    floats.frombytes(value[len(FLOAT32):])
    return floats.tolist()


def _byte_store(settings: Settings) -> ByteStore:
    """The cache's bytes: in PostgreSQL when DOCENT_DATABASE_URL is set (every ingest
    worker reads what another embedded), else in DATA_DIR."""
    if settings.database_url:
        from core.index.postgres.caches import embedding_store

        return embedding_store(settings.database_url)
    return SQLiteByteStore(settings.data_dir / "embedding_cache.sqlite")


def cached_embeddings(settings: Settings, embeddings: Embeddings) -> Embeddings:
    """Embeddings cached by content hash, so a re-split re-embeds only new text; keyed by
    the model's identity (`core.embeddings.model_identity`), not only its name, so other
    weights under the same name (a local folder's files replaced, a packaged model's new
    version) never get the old weights' vectors."""
    from langchain_classic.embeddings import CacheBackedEmbeddings
    from langchain_classic.storage import EncoderBackedStore

    from core.embeddings import model_identity

    namespace = model_identity(settings.embedding_model)

    def key(text: str) -> str:  # the key LangChain's "sha256" key encoder makes
        return f"{namespace}{hashlib.sha256(text.encode('utf-8')).hexdigest()}"

    store = EncoderBackedStore[str, list[float]](
        _byte_store(settings), key, pack_vector, unpack_vector)
    # batch_size None: a write batch's texts in one call, sorted and deduplicated together
    return CacheBackedEmbeddings(ProgressEmbeddings(embeddings), store, batch_size=None)
