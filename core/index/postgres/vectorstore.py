"""A LangChain `VectorStore` over one generation of `PostgresBackend`, so that LangChain's
`index()` (with the backend's record manager) and docent's readers work on PostgreSQL as on
Chroma.

Writes store what the embedded index keeps in three places in one `add_chunks` call (one
transaction): each chunk with its vector (the normalised mean of its sentence pieces', as
`core.index.sentences.SentenceMeanEmbeddings`), its keyword tokens (in the generation's
Korean mode) and its sentence vectors. Reads answer the few Chroma-style calls docent makes
(`get` with ids, a filter and paging), so callers need not know which engine they read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.vectorstores import VectorStore

from core.index.backend import Chunk, Sentence

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from core.index.postgres.backend import PostgresBackend


class PostgresVectorStore(VectorStore):
    """Generation `generation` of `backend`; `model` embeds (a `SentenceMeanEmbeddings`
    for writes, whose `sentences` embed the pieces through the embedding cache)."""

    def __init__(self, backend: PostgresBackend, generation: str,
                 model: Embeddings | None) -> None:
        self.backend, self.generation, self.model = backend, generation, model

    @property
    def embeddings(self) -> Embeddings | None:
        return self.model

    # writing

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """Store the documents under `ids` (or their own ids), replacing namesakes."""
        from core.index.sentences import SentenceMeanEmbeddings, chunk_vectors
        from core.index.tokens import keyword_tokens

        ids = kwargs.get("ids") or [str(doc.id) for doc in documents]
        if not documents:
            return []
        model = self.model
        if not isinstance(model, SentenceMeanEmbeddings):
            raise TypeError("writes need SentenceMeanEmbeddings (ingest.pipeline.open_for_ingest)")
        korean = self.backend.korean(self.generation)
        chunks, sentences = [], []
        for chunk_id, doc, (vector, pieces) in zip(
                ids, documents, chunk_vectors(model, [d.page_content for d in documents]),
                strict=True):
            chunks.append(Chunk(chunk_id, doc.page_content, vector,
                                keyword_tokens(doc.page_content, korean), dict(doc.metadata)))
            sentences += [Sentence(chunk_id, n, piece) for n, piece in enumerate(pieces)]
        self.backend.add_chunks(self.generation, chunks, sentences)
        return list(ids)

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, *,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        from langchain_core.documents import Document

        texts = list(texts)
        metadatas = metadatas or [{} for _ in texts]
        given: list[str | None] = list(ids) if ids else [None] * len(texts)
        docs = [Document(id=i, page_content=t, metadata=m)
                for i, t, m in zip(given, texts, metadatas, strict=True)]
        return self.add_documents(docs, ids=ids)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        self.backend.delete_chunks(self.generation, ids or [])
        return True

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings,
                   metadatas: list[dict] | None = None, **kwargs: Any) -> PostgresVectorStore:
        raise NotImplementedError("open it with core.index.store.open_store")

    # reading

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return self.backend.get_chunks(self.generation, list(ids))

    def get(self, ids: Sequence[str] | None = None, where: dict[str, Any] | None = None,
            limit: int | None = None, offset: int | None = None,
            include: Sequence[str] = ("documents", "metadatas")) -> dict[str, list]:
        """Chroma's `get`: "ids" and each of "documents", "metadatas" in `include`."""
        docs = self.backend.list_chunks(self.generation, where, ids=ids, limit=limit,
                                        offset=offset or 0)
        found: dict[str, list] = {"ids": [doc.id for doc in docs]}
        if "documents" in include:
            found["documents"] = [doc.page_content for doc in docs]
        if "metadatas" in include:
            found["metadatas"] = [doc.metadata for doc in docs]
        return found

    def _query_vector(self, query: str) -> list[float]:
        if self.model is None:
            raise TypeError("the store was opened without an embedding model")
        return self.model.embed_query(query)

    def similarity_search_with_score(self, query: str, k: int = 4,
                                     filter: dict[str, Any] | None = None,
                                     **kwargs: Any) -> list[tuple[Document, float]]:
        """Chunks by their own vector, with cosine distance (Chroma's score)."""
        hits = self.backend.dense_chunks(self.generation, self._query_vector(query), k, filter)
        by_id = {doc.id: doc for doc in self.get_by_ids([i for i, _ in hits])}
        return [(by_id[i], 1.0 - relevance) for i, relevance in hits if i in by_id]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def max_marginal_relevance_search(self, query: str, k: int = 4, fetch_k: int = 20,
                                      lambda_mult: float = 0.5,
                                      filter: dict[str, Any] | None = None,
                                      **kwargs: Any) -> list[Document]:
        import numpy as np
        from langchain_core.vectorstores.utils import maximal_marginal_relevance

        vector = self._query_vector(query)
        hits = self.backend.dense_chunks(self.generation, vector, fetch_k, filter)
        stored = self.backend.chunk_vectors(self.generation, [i for i, _ in hits])
        ids = [i for i, _ in hits if i in stored]
        chosen = maximal_marginal_relevance(np.array(vector), [stored[i] for i in ids],
                                            lambda_mult=lambda_mult, k=k)
        return self.get_by_ids([ids[n] for n in chosen])
