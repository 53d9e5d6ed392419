"""The answer and embedding caches in PostgreSQL, shared by every replica and worker: a
LangChain ByteStore over a table, and the answer cache over it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.stores import ByteStore

from core.index.damage import first_line
from core.index.postgres.connection import create_schema, database_error
from core.index.postgres.pool import shared_pool

log = logging.getLogger("docent.cache")


class PostgresByteStore(ByteStore):
    """Key/value bytes in table `table` (made when missing). Its values are addressed by
    their content (a hash of what they are computed from), so the first write of a key
    stands: writers racing on one key do not fail, and take their rows in one order (sorted
    keys), so two batches never deadlock."""

    def __init__(self, url: str, table: str) -> None:
        self.table, self.pool = table, shared_pool(url)
        import psycopg  # after the pool, which says when the extra is missing

        try:
            with self.pool.connection() as connection:
                create_schema(connection, f"CREATE TABLE IF NOT EXISTS {table} "
                              "(key text PRIMARY KEY, value bytea NOT NULL)")
        except psycopg.Error as exc:
            raise database_error(url, exc) from None

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        with self.pool.connection() as connection:
            found: dict[str, bytes] = dict(connection.execute(
                f"SELECT key, value FROM {self.table} WHERE key = ANY(%s)", (list(keys),)))
        return [found.get(key) for key in keys]

    def mset(self, key_value_pairs: Sequence[tuple[str, bytes]]) -> None:
        pairs = sorted(dict(key_value_pairs).items())
        with self.pool.connection() as connection:
            connection.execute(
                f"INSERT INTO {self.table} (key, value) SELECT * FROM unnest(%s::text[], "
                "%s::bytea[]) ON CONFLICT (key) DO NOTHING",
                ([key for key, _ in pairs], [value for _, value in pairs]))

    def mdelete(self, keys: Sequence[str]) -> None:
        with self.pool.connection() as connection:
            connection.execute(f"DELETE FROM {self.table} WHERE key = ANY(%s)", (list(keys),))

    def yield_keys(self, *, prefix: str | None = None) -> Iterator[str]:
        with self.pool.connection() as connection:
            rows = connection.execute(
                f"SELECT key FROM {self.table} WHERE starts_with(key, %s)", (prefix or "",)
            ).fetchall()
        for (key,) in rows:
            yield key


class PostgresAnswerCache(BaseCache):
    """LangChain's LLM cache over a PostgresByteStore, keyed by a hash of the prompt and the
    model (LangChain's SQLAlchemyCache keys its table by the prompt itself, and PostgreSQL
    cannot index a prompt longer than 2,704 bytes: most of docent's are). A database that
    fails mid-run makes a miss, and a write it refuses is skipped: the answer still comes."""

    def __init__(self, store: PostgresByteStore) -> None:
        self.store = store

    @staticmethod
    def _key(prompt: str, llm_string: str) -> str:
        return hashlib.sha256(f"{llm_string}\0{prompt}".encode()).hexdigest()

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        import psycopg
        from langchain_core._api import suppress_langchain_beta_warning
        from langchain_core.load import loads

        try:
            value = self.store.mget([self._key(prompt, llm_string)])[0]
        except psycopg.Error as exc:
            log.warning("the answer cache in %s cannot be read (%s): answering without it",
                        self.store.table, first_line(exc))
            return None
        if value is None:
            return None
        with suppress_langchain_beta_warning():  # `loads` is beta: a line at every hit
            return loads(value.decode(), allowed_objects="core")

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        import psycopg
        from langchain_core.load import dumps

        try:
            self.store.mset([(self._key(prompt, llm_string),
                              dumps(list(return_val)).encode())])
        except psycopg.Error as exc:
            log.warning("the answer cache in %s cannot be written (%s): not cached",
                        self.store.table, first_line(exc))

    def clear(self, **kwargs: Any) -> None:
        self.store.mdelete(list(self.store.yield_keys()))


def answer_cache(url: str) -> BaseCache:
    """The answer cache in table docent_answer_cache."""
    return PostgresAnswerCache(PostgresByteStore(url, "docent_answer_cache"))


def embedding_store(url: str) -> ByteStore:
    """The embedding cache's bytes in table docent_embedding_cache."""
    return PostgresByteStore(url, "docent_embedding_cache")
