"""Files uploaded through `serve`, kept in PostgreSQL (table docent_uploads, one row per
collection and file name) so that every replica serves the bytes one received; the
index names them by a source no replica's disk holds (ingest/source_policy.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from core.index.postgres.connection import create_schema, database_error
from core.index.postgres.pool import shared_pool

TABLE = "docent_uploads"


@dataclass(frozen=True)
class Upload:
    data: bytes
    content_hash: str  # sha256 of `data`, as ingest stamps on the file's chunks


class Uploads:
    """The uploads of one collection; a database that fails is one DocentError line."""

    def __init__(self, url: str, collection: str) -> None:
        self.url, self.collection, self.pool = url, collection, shared_pool(url)
        with self._connection() as connection:
            create_schema(connection,
                          f"CREATE TABLE IF NOT EXISTS {TABLE} (collection text, name text, "
                          "content_hash text NOT NULL, data bytea NOT NULL, uploaded "
                          "timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (collection, name))")

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg  # after the pool, which says when the extra is missing

        try:
            with self.pool.connection() as connection:
                yield connection
        except psycopg.Error as exc:
            raise database_error(self.url, exc) from None

    def put(self, name: str, data: bytes) -> Upload:
        """Store `data` as `name`, replacing an upload of that name."""
        upload = Upload(data, hashlib.sha256(data).hexdigest())
        with self._connection() as connection:
            connection.execute(
                f"INSERT INTO {TABLE} (collection, name, content_hash, data) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (collection, name) DO UPDATE SET "
                "content_hash = excluded.content_hash, data = excluded.data, uploaded = now()",
                (self.collection, name, upload.content_hash, data))
        return upload

    def get(self, name: str) -> Upload | None:
        with self._connection() as connection:
            row = connection.execute(
                f"SELECT data, content_hash FROM {TABLE} WHERE collection = %s AND name = %s",
                (self.collection, name)).fetchone()
        return None if row is None else Upload(bytes(row[0]), row[1])

    def delete(self, name: str) -> None:
        with self._connection() as connection:
            connection.execute(f"DELETE FROM {TABLE} WHERE collection = %s AND name = %s",
                               (self.collection, name))


@cache
def uploads(url: str, collection: str) -> Uploads:
    """The uploads of `collection` (its table made once per process)."""
    return Uploads(url, collection)
