"""The index in one PostgreSQL database, shared by every `serve` replica and ingest worker.

Per generation, one table named after it (`chunk_table_name`): id, text, metadata (jsonb),
`tokens` (docent's keyword tokens, space-joined), `embedding` (pgvector `halfvec`, HNSW over
cosine distance) and `sentences`, the chunk's sentence vectors as one int8 matrix (`bytea`,
`pack_sentences`). A sentence search takes the chunks nearest by the chunk HNSW
(CHUNK_CANDIDATES) and scores their sentences exactly in the process: of the layouts
bench/scale.py compares, the one that adds no index to the sentence vectors and stores each
in its width in bytes (384 B for 384 dimensions, against 940 B as a halfvec row); its recall
against an exact scan is bought with the candidate count (docs/deployment.md, the scale
bench).
Keyword search is pg_search's `bm25` index on `tokens` under the whitespace tokenizer
(Tantivy's BM25 with k1 1.2 and b 0.75, as docent's bm25s), or, where the server lacks
pg_search, a bm25s index each process builds from the tokens column and rebuilds when the
generation's revision changes (one query per search tells).

Shared tables: `docent_generations` (the pointer of each collection: one row, replaced in
one statement) and `docent_revisions` (per generation: a counter bumped by every write, the
Korean token mode and the vector width). Records are LangChain's `SQLRecordManager` in the
same database.
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core.errors import DocentError
from core.index.backend import Chunk, Sentence, Where
from core.index.generation import Generations
from core.index.postgres.connection import (
    connect,
    create_schema,
    has_pg_search,
    sqlalchemy_url,
)
from core.index.postgres.filters import where_sql
from core.index.tokens import TOKEN_RULES
from core.tuning import TUNING

if TYPE_CHECKING:
    import psycopg
    from langchain_core.documents import Document
    from langchain_core.indexing import RecordManager
    from numpy.typing import ArrayLike
    from psycopg import sql

    from core.index.keyword import KeywordIndex
    from core.settings import KoreanTokens

SHARED_SCHEMA = """
CREATE TABLE IF NOT EXISTS docent_generations (
    collection text PRIMARY KEY, active text NOT NULL, building text, retired text);
CREATE TABLE IF NOT EXISTS docent_revisions (
    generation text PRIMARY KEY, revision bigint NOT NULL DEFAULT 0,
    korean text NOT NULL, rules text NOT NULL, dimensions int NOT NULL);
CREATE TABLE IF NOT EXISTS docent_fingerprints (generation text PRIMARY KEY, fingerprint jsonb);
CREATE TABLE IF NOT EXISTS docent_files (generation text, source text, content_hash text,
    chunks int, PRIMARY KEY (generation, source));
"""
# HNSW's candidate list: pgvector returns at most ef_search rows from an index scan, so a
# search for more raises it to the number wanted, up to pgvector's maximum
EF_SEARCH, MAX_EF_SEARCH = 40, 1000
# chunks whose sentences a sentence search scores. At 1M synthetic chunks (bench/scale.py,
# idle) 400 found 0.894 of the exact top 20 by chunk id in 19 / 27 ms p50 / p95, 1,000 found
# 0.947 in 45 / 85, 2,000 0.970 in 84 / 120: 1,000 keeps the whole retrieve under 200 ms p95
CHUNK_CANDIDATES = 1000


# kiwipiepy keeps a multi-word proper noun as one token ("@스탠더드 앤드 푸어스"): its spaces
# become this separator in the space-joined column, which the whitespace tokenizer and
# str.split leave whole (split, 37 % of KorQuAD's chunks got other tokens than the
# embedded index's, and BM25-only MRR@10 on its tuning half fell from 0.943 to 0.933)
TOKEN_SPACE = "\u2060"  # WORD JOINER: no whitespace to Python, Unicode or Tantivy


def tokens_column(tokens: Sequence[str]) -> str:
    """Keyword tokens as the `tokens` column holds them: space-joined, spaces inside kept."""
    return " ".join(token.replace(" ", TOKEN_SPACE) for token in tokens)


def column_tokens(column: str) -> list[str]:
    """The tokens `tokens_column` joined."""
    return [token.replace(TOKEN_SPACE, " ") for token in column.split(" ") if token]


def chunk_table_name(generation: str) -> str:
    """The chunk table of a generation: a readable slug plus a hash, within PostgreSQL's
    63-byte names whatever the collection is called."""
    slug = re.sub(r"[^a-z0-9]+", "_", generation.lower()).strip("_")[:32]
    digest = hashlib.sha1(generation.encode()).hexdigest()[:10]
    return f"docent_{slug}_{digest}_chunks"


def keyword_index_name(generation: str) -> str:
    """The `bm25` index on the generation's chunk table."""
    return f"{chunk_table_name(generation)}_bm25"


def pack_sentences(vectors: ArrayLike) -> bytes:
    """A chunk's sentence vectors as one int8 matrix, each row scaled so its largest
    component is ±127: a cosine needs no scale back, and the rounding moves it by about
    0.001 (bench/scale.py counts its recall against the unrounded vectors)."""
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    if not matrix.size:
        return b""
    peaks = np.abs(matrix).max(axis=1, keepdims=True)
    return np.rint(matrix * (127 / np.maximum(peaks, 1e-12))).astype(np.int8).tobytes()


def best_sentences(rows: Sequence[tuple[str, bytes]], vector: Sequence[float], k: int
                   ) -> list[tuple[str, float]]:
    """The k chunks of best sentence cosine to `vector`, from (id, `pack_sentences` bytes)
    rows; ties by id, chunks without sentences left out."""
    import numpy as np

    probe = np.asarray(vector, dtype=np.float32)
    probe /= max(float(np.linalg.norm(probe)), 1e-12)
    ids, blocks = [], []
    for chunk_id, packed in rows:
        if packed:
            ids.append(chunk_id)
            blocks.append(np.frombuffer(packed, dtype=np.int8).reshape(-1, len(probe)))
    if not blocks:
        return []
    starts = np.cumsum([0] + [len(block) for block in blocks[:-1]])
    matrix = np.concatenate(blocks).astype(np.float32)
    cosines = (matrix @ probe) / np.maximum(np.linalg.norm(matrix, axis=1), 1e-12)
    best = np.maximum.reduceat(cosines, starts)
    ranked = sorted(zip(ids, best.tolist(), strict=True), key=lambda pair: (-pair[1], pair[0]))
    return ranked[:k]


class PostgresBackend:
    """`core.index.backend.IndexBackend` on PostgreSQL, for collection `collection`;
    `use_pg_search` False ranks keywords with bm25s even where the server has pg_search."""

    def __init__(self, url: str, collection: str, *, use_pg_search: bool = True) -> None:
        self.url, self.collection, self.use_pg_search = url, collection, use_pg_search
        # each thread's connection, closed when its thread ends (ingest starts threads per
        # batch: a list keeping them all ran the server out of connections in bench/workers.py)
        self._local = threading.local()
        self._connections: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()
        self._bm25: bool | None = None
        self._open = threading.Lock()
        self._keyword: dict[str, tuple[int, KeywordIndex | None]] = {}
        self._keyword_lock = threading.Lock()

    # connections and schema

    def _db(self) -> psycopg.Connection:
        """This thread's connection: a transaction block (a batch's writes, a search's
        `SET LOCAL`) on a connection shared by `serve`'s threads would take in another
        thread's statements."""
        current = getattr(self._local, "connection", None)
        if current is not None and not current.closed:
            return current
        with self._open:
            connection = connect(self.url)
            # docent's queries are top-k lookups: a parallel worker's start cost more
            # than it saves (a BM25 search of 2,000 chunks: 146 ms with one, 74 without,
            # load 12 on 2 cores)
            connection.execute("SET max_parallel_workers_per_gather = 0")
            if self._bm25 is None:  # the process's first connection: not again per thread
                create_schema(connection, SHARED_SCHEMA)
                self._bm25 = has_pg_search(connection)
            self._connections.add(connection)
            self._local.connection = connection
            return connection

    @property
    def keyword_in_server(self) -> bool:
        """Whether keyword search runs in the server (pg_search) rather than in bm25s."""
        self._db()
        return self.use_pg_search and bool(self._bm25)

    def close(self) -> None:
        """Close every thread's connection."""
        with self._open:
            for connection in list(self._connections):
                connection.close()

    @staticmethod
    def _table(generation: str) -> sql.Identifier:
        from psycopg import sql

        return sql.Identifier(chunk_table_name(generation))

    def create_generation(self, generation: str, dimensions: int) -> None:
        from psycopg import sql

        chunks, name = self._table(generation), chunk_table_name(generation)
        db = self._db()
        statements = [
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, text text NOT NULL, "
                    "metadata jsonb NOT NULL, tokens text NOT NULL, "
                    "embedding halfvec({}) NOT NULL, sentences bytea NOT NULL)"
                    ).format(chunks, sql.Literal(dimensions)),
            # int8 bytes do not compress: kept out of line without trying
            sql.SQL("ALTER TABLE {} ALTER COLUMN sentences SET STORAGE EXTERNAL").format(chunks),
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING hnsw (embedding halfvec_cosine_ops)"
                    ).format(sql.Identifier(f"{name}_hnsw"), chunks),
        ]
        if self._bm25:
            statements.append(sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} USING bm25 (id, (tokens::pdb.whitespace)) "
                "WITH (key_field = 'id')").format(sql.Identifier(keyword_index_name(generation)),
                                                  chunks))
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (generation,))
            for statement in statements:
                db.execute(statement)
            db.execute("INSERT INTO docent_revisions (generation, korean, rules, dimensions) "
                       "VALUES (%s, %s, %s, %s) ON CONFLICT (generation) DO NOTHING",
                       (generation, TUNING.keyword_korean, TOKEN_RULES, dimensions))

    def drop_generation(self, generation: str) -> None:
        from psycopg import sql

        db = self._db()
        with db.transaction():
            db.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._table(generation)))
            db.execute("DELETE FROM docent_revisions WHERE generation = %s", (generation,))
            db.execute("DELETE FROM docent_fingerprints WHERE generation = %s", (generation,))
            db.execute("DELETE FROM docent_files WHERE generation = %s", (generation,))
        manager = self.record_manager(generation)
        manager.delete_keys(manager.list_keys())

    # writing

    def add_chunks(self, generation: str, chunks: Sequence[Chunk],
                   sentences: Sequence[Sentence]) -> None:
        from pgvector import HalfVector
        from psycopg import sql
        from psycopg.types.json import Jsonb

        pieces: dict[str, list[Sentence]] = {}
        for sentence in sentences:
            pieces.setdefault(sentence.chunk_id, []).append(sentence)
        with self._on(generation) as db, db.transaction(), db.cursor() as cursor:
            cursor.executemany(sql.SQL(
                "INSERT INTO {} (id, text, metadata, tokens, embedding, sentences) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                "text = EXCLUDED.text, metadata = EXCLUDED.metadata, tokens = EXCLUDED.tokens, "
                "embedding = EXCLUDED.embedding, sentences = EXCLUDED.sentences"
            ).format(self._table(generation)), [
                (c.id, c.text, Jsonb(c.metadata), tokens_column(c.tokens), HalfVector(c.vector),
                 pack_sentences([s.vector for s in sorted(pieces.get(c.id, []),
                                                          key=lambda s: s.number)]))
                for c in chunks])
            self._bump(cursor, generation)

    def delete_chunks(self, generation: str, ids: Collection[str]) -> None:
        from psycopg import sql

        with self._on(generation) as db, db.transaction(), db.cursor() as cursor:
            cursor.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(
                self._table(generation)),
                           (list(ids),))
            self._bump(cursor, generation)

    @staticmethod
    def _bump(cursor: psycopg.Cursor, generation: str) -> None:
        cursor.execute("UPDATE docent_revisions SET revision = revision + 1 "
                       "WHERE generation = %s", (generation,))

    # reading

    def _missing(self, generation: str) -> DocentError:
        return DocentError(f"generation {generation!r} of {self.collection!r} is not in the "
                           "database: run `python -m app ingest PATH…` first")

    @contextmanager
    def _on(self, generation: str) -> Iterator[psycopg.Connection]:
        """The connection, for statements on `generation`'s tables: tables that are not
        there (never built, or dropped by `--reindex`) are one line, not psycopg's."""
        import psycopg

        try:
            yield self._db()
        except psycopg.errors.UndefinedTable:
            raise self._missing(generation) from None

    def count(self, generation: str) -> int:
        from psycopg import sql

        chunk_table = self._table(generation)
        with self._on(generation) as db:
            row = db.execute(sql.SQL("SELECT count(*) FROM {}").format(chunk_table)).fetchone()
        return int(row[0]) if row else 0

    def get_chunks(self, generation: str, ids: Sequence[str]) -> list[Document]:
        from langchain_core.documents import Document
        from psycopg import sql

        chunk_table = self._table(generation)
        with self._on(generation) as db:
            rows = db.execute(sql.SQL("SELECT id, text, metadata FROM {} WHERE id = ANY(%s)"
                                      ).format(chunk_table), (list(ids),)).fetchall()
        found = {row[0]: Document(id=row[0], page_content=row[1], metadata=row[2])
                 for row in rows}
        return [found[i] for i in ids if i in found]

    def dense_chunks(self, generation: str, vector: Sequence[float], k: int,
                     where: Where = None) -> list[tuple[str, float]]:
        """(id, cosine relevance) of the k chunks nearest `vector` by the chunk HNSW."""
        from pgvector import HalfVector
        from psycopg import sql

        condition, params = where_sql(where)
        query = sql.SQL("SELECT id, embedding <=> %s FROM {} WHERE {} "
                        "ORDER BY embedding <=> %s LIMIT %s").format(
            self._table(generation), condition)
        probe = HalfVector(vector)
        with self._on(generation) as db, db.transaction():
            _scan_for(db, k, where)
            rows = db.execute(query, [probe, *params, probe, k]).fetchall()
        return sorted(((str(row[0]), 1.0 - float(row[1])) for row in rows),
                      key=lambda pair: -pair[1])

    def dense_sentences(self, generation: str, vector: Sequence[float], k: int,
                        where: Where = None) -> list[tuple[str, float]]:
        """The k chunks of best sentence among the CHUNK_CANDIDATES (or k) chunks nearest
        by their own vector, each sentence scored exactly (`best_sentences`)."""
        from pgvector import HalfVector
        from psycopg import sql

        condition, params = where_sql(where)
        candidates = max(CHUNK_CANDIDATES, k)
        query = sql.SQL("SELECT id, sentences FROM {} WHERE {} ORDER BY embedding <=> %s "
                        "LIMIT %s").format(self._table(generation), condition)
        with self._on(generation) as db, db.transaction():
            _scan_for(db, candidates, where)
            rows = db.execute(query, [*params, HalfVector(vector), candidates]).fetchall()
        return best_sentences(rows, vector, k)

    def keyword_search(self, generation: str, query: str, k: int,
                       where: Where = None) -> list[tuple[str, float]]:
        if not self.keyword_in_server:
            index = self.keyword_index(generation)
            allowed = {i for i, _ in self._ids(generation, where)} if where else None
            return index.search(query, k, allowed) if index else []
        from psycopg import sql

        from core.index.keyword import BM25_K1
        from core.index.tokens import keyword_tokens

        tokens = keyword_tokens(query, self._revision(generation)[1])
        if not tokens:
            return []
        chunk_table = self._table(generation)
        condition, params = where_sql(where)
        statement = sql.SQL("SELECT id, pdb.score(id) AS score FROM {} WHERE tokens ||| %s "
                            "AND {} ORDER BY score DESC LIMIT %s").format(chunk_table, condition)
        with self._on(generation) as db:
            rows = db.execute(statement, [tokens_column(tokens), *params, k]).fetchall()
        # Tantivy's term score has bm25s' numerator times (k1 + 1): the same ranking,
        # put on bm25s' scale so `keyword_score` means what it means on the embedded index
        return [(str(row[0]), float(row[1]) / (BM25_K1 + 1)) for row in rows if row[1] > 0]

    def list_chunks(self, generation: str, where: Where = None, *,
                    ids: Sequence[str] | None = None, limit: int | None = None,
                    offset: int = 0) -> list[Document]:
        """The chunks `where` (and `ids`, when given) select, in id order, paged."""
        from langchain_core.documents import Document
        from psycopg import sql

        chunk_table = self._table(generation)
        condition, params = where_sql(where)
        if ids is not None:
            condition = sql.SQL("{} AND id = ANY(%s)").format(condition)
            params = [*params, list(ids)]
        with self._on(generation) as db:
            rows = db.execute(sql.SQL("SELECT id, text, metadata FROM {} WHERE {} ORDER BY id "
                                      "LIMIT %s OFFSET %s").format(chunk_table, condition),
                              [*params, limit, offset]).fetchall()
        return [Document(id=row[0], page_content=row[1], metadata=row[2]) for row in rows]

    def chunk_vectors(self, generation: str, ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored vectors of these chunks, by id (for MMR)."""
        from psycopg import sql

        chunk_table = self._table(generation)
        with self._on(generation) as db:
            rows = db.execute(sql.SQL("SELECT id, embedding FROM {} WHERE id = ANY(%s)"
                                      ).format(chunk_table), (list(ids),)).fetchall()
        return {str(row[0]): [float(v) for v in row[1].to_list()] for row in rows}

    def korean(self, generation: str) -> KoreanTokens:
        """The Korean token mode the generation's tokens are made in."""
        return self._revision(generation)[1]

    def live_version(self) -> tuple[str, int | None]:
        """The live generation and its write counter (None: not built), in one query: what
        a reader compares, once per question, to the snapshot it holds."""
        row = self._db().execute(
            "SELECT g.active, r.revision FROM (SELECT %s::text AS collection) c "
            "LEFT JOIN docent_generations g USING (collection) "
            "LEFT JOIN docent_revisions r ON r.generation = coalesce(g.active, c.collection)",
            (self.collection,)).fetchone()
        active = row[0] if row and row[0] else self.collection
        return active, (int(row[1]) if row and row[1] is not None else None)

    def generation_names(self) -> set[str]:
        """The generations built (or being built) in the database, of every collection."""
        rows = self._db().execute("SELECT generation FROM docent_revisions").fetchall()
        return {str(row[0]) for row in rows}

    def fingerprint(self, generation: str) -> dict[str, Any] | None:
        """What the generation's vectors were made with (`core.index.store.index_fingerprint`)."""
        row = self._db().execute("SELECT fingerprint FROM docent_fingerprints "
                                 "WHERE generation = %s", (generation,)).fetchone()
        return dict(row[0]) if row and row[0] else None

    def set_fingerprint(self, generation: str, fingerprint: dict[str, Any]) -> None:
        from psycopg.types.json import Jsonb

        self._db().execute("INSERT INTO docent_fingerprints VALUES (%s, %s) "
                           "ON CONFLICT (generation) DO NOTHING", (generation, Jsonb(fingerprint)))

    def file_notes(self, generation: str) -> list[tuple[str, str, int]]:
        """(source, content hash, chunk count) noted per file (ingest.completeness)."""
        rows = self._db().execute("SELECT source, content_hash, chunks FROM docent_files "
                                  "WHERE generation = %s", (generation,)).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def note_file(self, generation: str, source: str, content_hash: str, chunks: int) -> None:
        self._db().execute(
            "INSERT INTO docent_files VALUES (%s, %s, %s, %s) ON CONFLICT (generation, source) "
            "DO UPDATE SET content_hash = EXCLUDED.content_hash, chunks = EXCLUDED.chunks",
            (generation, source, content_hash, chunks))

    def _revision(self, generation: str) -> tuple[int, KoreanTokens]:
        """The generation's write counter and the Korean token mode its tokens were made in."""
        row = self._db().execute("SELECT revision, korean FROM docent_revisions "
                                 "WHERE generation = %s", (generation,)).fetchone()
        if row is None:
            raise self._missing(generation)
        return int(row[0]), row[1]

    def _ids(self, generation: str, where: Where) -> list[tuple[str, str]]:
        """(id, tokens) of the chunks `where` selects, in id order."""
        from psycopg import sql

        chunk_table = self._table(generation)
        condition, params = where_sql(where)
        with self._on(generation) as db:
            rows = db.execute(sql.SQL("SELECT id, tokens FROM {} WHERE {} ORDER BY id").format(
                chunk_table, condition), params).fetchall()
        return [(str(row[0]), str(row[1])) for row in rows]

    def keyword_index(self, generation: str) -> KeywordIndex | None:
        """A bm25s index of the tokens column, rebuilt when the generation's revision moved
        (another process wrote); None for an empty generation."""
        import bm25s

        from core.index.keyword import BM25_B, BM25_K1, KeywordIndex

        revision, korean = self._revision(generation)
        with self._keyword_lock:
            cached = self._keyword.get(generation)
            if cached is not None and cached[0] == revision:
                return cached[1]
            rows = self._ids(generation, None)
            index = None
            if rows:
                retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
                retriever.index([column_tokens(tokens) for _, tokens in rows],
                               show_progress=False)
                index = KeywordIndex(version=f"r{revision}", ids=[i for i, _ in rows],
                                     korean=korean, retriever=retriever)
            self._keyword[generation] = (revision, index)
            return index

    # records and the pointer

    def record_manager(self, generation: str) -> RecordManager:
        from langchain_classic.indexes import SQLRecordManager

        manager = SQLRecordManager(namespace=f"postgres/{generation}",
                                   engine=_engine(sqlalchemy_url(self.url)))
        manager.create_schema()
        return manager

    def generations(self) -> Generations:
        row = self._db().execute("SELECT active, building, retired FROM docent_generations "
                                 "WHERE collection = %s", (self.collection,)).fetchone()
        return Generations(self.collection) if row is None else Generations(*row)

    def write_generations(self, generations: Generations) -> None:
        self._db().execute(
            "INSERT INTO docent_generations (collection, active, building, retired) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (collection) DO UPDATE SET "
            "active = EXCLUDED.active, building = EXCLUDED.building, retired = EXCLUDED.retired",
            (self.collection, generations.active, generations.building, generations.retired))


def _scan_for(db: psycopg.Connection, limit: int, where: Where) -> None:
    """Set the transaction's HNSW scan to return `limit` rows (those passing `where`)."""
    db.execute("SELECT set_config('hnsw.ef_search', %s, true)",
               (str(min(MAX_EF_SEARCH, max(EF_SEARCH, limit))),))
    # keep scanning the graph until enough rows pass the filter, or past ef_search's maximum
    if where or limit > MAX_EF_SEARCH:
        db.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")


_engines: dict[str, Any] = {}
_engines_lock = threading.Lock()


def _engine(url: str) -> Any:
    """One SQLAlchemy engine (a connection pool) per database and process."""
    from sqlalchemy import create_engine

    with _engines_lock:
        if url not in _engines:
            _engines[url] = create_engine(url, pool_pre_ping=True)
        return _engines[url]
