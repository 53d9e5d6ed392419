"""`core.index.backend.IndexBackend` over today's stores in DATA_DIR (or a `chroma run`
server): the Chroma collection of each generation and its sentence collection, the bm25s
files, records.sqlite and the pointer file. It calls the functions the ingest and the
graphs call; nothing here stores anything in a new way.

Two differences the Postgres backend does not have: the keyword index is made from the
chunks' text (the same `keyword_tokens`, so `Chunk.tokens` is not read) and rebuilt after
each write, and it is read for the live generation only (answering reads no other).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, cast

from core.errors import DocentError
from core.index.backend import SENTENCES_PER_CHUNK, Chunk, Sentence, Where, best_per_chunk
from core.index.generation import Generations, read_generations, write_generations
from core.index.keyword import build_keyword_index, clear_keyword_index, load_keyword_index
from core.index.sentences import delete_sentence_collection, sentence_collection
from core.index.store import (
    Store,
    chroma_client,
    collection_names,
    open_store,
    record_manager,
)

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.indexing import RecordManager

    from core.index.keyword import KeywordIndex
    from core.settings import Settings


class EmbeddedBackend:
    """The index of `settings.collection` in `settings.data_dir` (or DOCENT_CHROMA_URL);
    `embeddings` is what the collections are opened with (the model, or a test's fake)."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None) -> None:
        self.settings, self.embeddings = settings, embeddings

    def _store(self, generation: str, *, create: bool = False) -> Store:
        return open_store(self.settings, self.embeddings, create=create, name=generation)

    def create_generation(self, generation: str, dimensions: int) -> None:
        """Chroma learns the width from the first vector, so `dimensions` is not needed."""
        sentence_collection(self._store(generation, create=True), create=True)

    def drop_generation(self, generation: str) -> None:
        clear_keyword_index(self.settings, generation)
        delete_sentence_collection(self.settings, generation)
        client = chroma_client(self.settings)
        if generation in collection_names(client):
            client.delete_collection(generation)
        manager = record_manager(self.settings, generation)
        manager.delete_keys(manager.list_keys())

    def add_chunks(self, generation: str, chunks: Sequence[Chunk],
                   sentences: Sequence[Sentence]) -> None:
        store = self._store(generation)
        if chunks:
            # vectors as given: no embedding
            collection: Any = cast(Any, store.vectorstore)._collection
            collection.upsert(
                ids=[c.id for c in chunks], documents=[c.text for c in chunks],
                metadatas=[c.metadata or None for c in chunks],
                embeddings=[list(c.vector) for c in chunks])
        if sentences:
            metadata = {c.id: c.metadata for c in chunks}
            sentence_collection(store, create=True).upsert(
                ids=[f"{s.chunk_id}:{s.number}" for s in sentences],
                metadatas=[{**metadata.get(s.chunk_id, {}), "chunk_id": s.chunk_id}
                           for s in sentences],
                embeddings=[list(s.vector) for s in sentences])
        build_keyword_index(store)

    def delete_chunks(self, generation: str, ids: Collection[str]) -> None:
        store = self._store(generation)
        gone = sorted(ids)
        if not gone:
            return
        store.vectorstore.delete(gone)
        sentences = sentence_collection(store)
        if sentences is not None:
            sentences.delete(where={"chunk_id": {"$in": gone}})
        build_keyword_index(store)

    def count(self, generation: str) -> int:
        return self._store(generation).count()

    def get_chunks(self, generation: str, ids: Sequence[str]) -> list[Document]:
        found = {d.id: d for d in self._store(generation).vectorstore.get_by_ids(list(ids))}
        return [found[i] for i in ids if i in found]

    @staticmethod
    def _nearest(collection: Any, key: str | None, vector: Sequence[float], limit: int,
                 where: Where) -> list[tuple[str, float]]:
        """(id, or metadata[key], cosine relevance) of the `limit` nearest records."""
        total = collection.count()
        if not total:
            return []
        found = collection.query(query_embeddings=[list(vector)], n_results=min(limit, total),
                                 where=where or None, include=["metadatas", "distances"])
        names = found["ids"][0] if key is None else [m[key] for m in found["metadatas"][0]]
        return [(str(name), 1.0 - float(distance))
                for name, distance in zip(names, found["distances"][0], strict=True)]

    def dense_chunks(self, generation: str, vector: Sequence[float], k: int,
                     where: Where = None) -> list[tuple[str, float]]:
        collection = cast(Any, self._store(generation).vectorstore)._collection
        return self._nearest(collection, None, vector, k, where)

    def dense_sentences(self, generation: str, vector: Sequence[float], k: int,
                        where: Where = None) -> list[tuple[str, float]]:
        collection = sentence_collection(self._store(generation))
        if collection is None:
            return []
        hits = self._nearest(collection, "chunk_id", vector, k * SENTENCES_PER_CHUNK, where)
        return best_per_chunk(hits, k)

    def keyword_search(self, generation: str, query: str, k: int,
                       where: Where = None) -> list[tuple[str, float]]:
        index = self.keyword_index(generation)
        if index is None:
            return []
        allowed = None
        if where:
            allowed = set(self._store(generation).vectorstore.get(where=where, include=[])["ids"])
        return index.search(query, k, allowed)

    def keyword_index(self, generation: str) -> KeywordIndex | None:
        if generation != read_generations(self.settings).active:
            raise DocentError(f"the embedded keyword index of {generation!r} is not the live "
                              "one; only the live generation's is read")
        return load_keyword_index(self.settings)

    def record_manager(self, generation: str) -> RecordManager:
        return record_manager(self.settings, generation)

    def generations(self) -> Generations:
        return read_generations(self.settings)

    def write_generations(self, generations: Generations) -> None:
        write_generations(self.settings, generations)
