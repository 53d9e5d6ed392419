"""What docent needs of an index, whatever engine holds it.

Two implementations: `core.index.embedded.EmbeddedBackend` (today's stores: Chroma, the
bm25s files, records.sqlite and the pointer file in DATA_DIR) and
`core.index.postgres.backend.PostgresBackend` (one PostgreSQL database shared by every
process: pgvector, pg_search or bm25s over a tokens column, records and the pointer in
tables). Another engine (OpenSearch, say) is a third class with these methods; the tests in
tests/test_postgres_backend.py run the same scenario on each.

Every method names the generation it works on (core.index.generation): `--reindex` builds
a new one beside the live one and `write_generations` switches to it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.indexing import RecordManager

    from core.index.generation import Generations
    from core.index.keyword import KeywordIndex
    from core.index.postgres.backend import PostgresBackend
    from core.settings import Settings

Where = dict[str, Any] | None  # a Chroma-style metadata filter ({"source": …}, $in, $and)


@dataclass(frozen=True)
class Chunk:
    """A chunk as stored: its text and metadata, its vector (the mean of its sentences')
    and its keyword tokens (core.index.tokens.keyword_tokens)."""

    id: str
    text: str
    vector: Sequence[float]
    tokens: Sequence[str]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sentence:
    """One dense piece of a chunk (core.index.sentences.dense_pieces), by its number."""

    chunk_id: str
    number: int
    vector: Sequence[float]


class IndexBackend(Protocol):
    """The index of one collection: chunks with their vectors and tokens, sentence vectors,
    the records that keep ingest idempotent, and the pointer to the live generation."""

    def create_generation(self, generation: str, dimensions: int) -> None:
        """Make generation `generation`'s empty stores (nothing when they exist)."""

    def drop_generation(self, generation: str) -> None:
        """Forget a generation: its chunks, sentences, keyword index and records."""

    def add_chunks(self, generation: str, chunks: Sequence[Chunk],
                   sentences: Sequence[Sentence]) -> None:
        """Store chunks (replacing those with the same ids) and their sentences."""

    def delete_chunks(self, generation: str, ids: Collection[str]) -> None:
        """Remove chunks and their sentences; unknown ids are ignored."""

    def count(self, generation: str) -> int:
        """How many chunks the generation holds."""

    def get_chunks(self, generation: str, ids: Sequence[str]) -> list[Document]:
        """The chunks with these ids, in that order (unknown ids left out)."""

    def dense_chunks(self, generation: str, vector: Sequence[float], k: int,
                     where: Where = None) -> list[tuple[str, float]]:
        """Up to `k` chunk ids nearest `vector`, with cosine relevance (1 - distance)."""

    def dense_sentences(self, generation: str, vector: Sequence[float], k: int,
                        where: Where = None) -> list[tuple[str, float]]:
        """Up to `k` chunk ids ranked by their best sentence's cosine relevance."""

    def keyword_search(self, generation: str, query: str, k: int,
                       where: Where = None) -> list[tuple[str, float]]:
        """Chunk ids with a positive BM25 score for the query's keyword tokens (made in
        the generation's Korean token mode), best first."""

    def keyword_index(self, generation: str) -> KeywordIndex | None:
        """The generation's bm25s index (token weights and coverage read it)."""

    def record_manager(self, generation: str) -> RecordManager:
        """The records of the generation: which chunk came from which source."""

    def generations(self) -> Generations:
        """The pointer: the live generation, and those a dead run may have left."""

    def write_generations(self, generations: Generations) -> None:
        """Replace the pointer at once: a reader sees the old one or the new one."""


# how many sentences a dense sentence search reads per chunk it returns (the embedded
# sentence ranking's factor, core/index/sentences.py)
SENTENCES_PER_CHUNK = 5


def best_per_chunk(hits: Iterable[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    """(chunk id, relevance) of sentences, best first → each chunk once, at its best
    sentence's relevance, up to `k`."""
    best: dict[str, float] = {}
    for chunk_id, relevance in hits:
        best.setdefault(chunk_id, relevance)
    return list(best.items())[:k]


_postgres: dict[tuple[str, str], PostgresBackend] = {}


def postgres_backend(settings: Settings) -> PostgresBackend | None:
    """The PostgreSQL index when DOCENT_DATABASE_URL is set (one backend, so one
    connection, per database and collection in a process), else None."""
    if not settings.database_url:
        return None
    from core.index.postgres.backend import PostgresBackend

    key = (settings.database_url, settings.collection)
    if key not in _postgres:
        _postgres[key] = PostgresBackend(*key)
    return _postgres[key]


def open_backend(settings: Settings, embeddings: Embeddings | None = None) -> IndexBackend:
    """The installation's index: PostgreSQL when DOCENT_DATABASE_URL is set, else the data
    dir's (opened with `embeddings`; none is needed to drop or to read the pointer)."""
    postgres = postgres_backend(settings)
    if postgres is not None:
        return postgres
    from core.index.embedded import EmbeddedBackend

    return EmbeddedBackend(settings, embeddings)
