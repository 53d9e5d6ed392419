"""Sentence vectors: the dense side of retrieval reads each chunk sentence by sentence.

One vector for a 1,000-character chunk blurs it (and MiniLM reads only its first 256
tokens), while a question usually paraphrases one sentence. So every chunk's sentences are
embedded into a second Chroma collection, `<generation>-sentences` (each record: the
chunk's metadata plus `chunk_id`), and a chunk's dense score is that of its best sentence.
The chunk collection keeps one vector per chunk, the normalised mean of its sentence
vectors, for MMR and the score-threshold mode; both come from one embedding pass, since
the sentences go through the embedding cache. After each ingest the sentence collection
is brought in step with the chunk collection by id difference (over the sources the
ingest touched), so a crash leaves nothing that the next ingest does not repair.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from core.errors import DocentError
from core.index.generation import active_collection
from core.index.paging import get_all, source_filters
from core.index.store import chroma_client, collection_names
from core.index.tokens import mostly_hangul
from core.tuning import TUNING

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from core.index.store import Store
    from core.settings import Settings

SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\s*\n\s*")
MIN_PIECE = 40  # shorter pieces (headings, list items) join the next one
MAX_PIECE = 600  # longer ones are cut at a space (MiniLM reads about 1,000 characters)
CHUNKS_KEY = "docent_chunks"  # the collection metadata: how many chunks it covers


def sentence_pieces(text: str) -> list[str]:
    """The text cut into sentences of MIN_PIECE..MAX_PIECE characters (the last may be
    shorter); a text without sentence ends is cut at spaces."""
    pieces: list[str] = []
    pending = ""
    for part in SENTENCE_END.split(text):
        pending = f"{pending} {part}".strip() if pending else part.strip()
        while len(pending) > MAX_PIECE:
            cut = pending.rfind(" ", MIN_PIECE, MAX_PIECE)
            cut = cut if cut > 0 else MAX_PIECE
            pieces.append(pending[:cut].strip())
            pending = pending[cut:].strip()
        if len(pending) >= MIN_PIECE:
            pieces.append(pending)
            pending = ""
    if pending:
        if pieces and len(pieces[-1]) + len(pending) < MAX_PIECE:
            pieces[-1] = f"{pieces[-1]} {pending}"
        else:
            pieces.append(pending)
    return pieces or [text]


def dense_pieces(text: str, reads_hangul: bool) -> list[str]:
    """The sentence pieces worth a vector: all of them, or, for a model that cannot read
    Hangul (MiniLM splits it into jamo, about ten tokens per syllable's worth of English),
    those that are not mostly Hangul. Korean questions skip the dense ranking then anyway,
    and embedding Korean text in full tripled the ingest time of ../shared/docs."""
    pieces = sentence_pieces(text)
    return pieces if reads_hangul else [p for p in pieces if not mostly_hangul(p)]


def embedded_texts(text: str, hangul: bool) -> list[str]:
    """What is embedded for a chunk's own vector: its dense pieces, or the whole text."""
    return dense_pieces(text, hangul) or [text]


def reads_hangul(embeddings: Embeddings | None) -> bool:
    """Whether the model behind `embeddings` reads Hangul (unknown models: assume so)."""
    if isinstance(embeddings, SentenceMeanEmbeddings):
        embeddings = embeddings.model
    return bool(getattr(embeddings, "reads_hangul", True))


def _mean(vectors: list[list[float]]) -> list[float]:
    summed = [sum(column) for column in zip(*vectors, strict=True)]
    norm = math.sqrt(sum(v * v for v in summed)) or 1.0
    return [v / norm for v in summed]


class SentenceMeanEmbeddings(Embeddings):
    """A chunk's vector as the normalised mean of its sentences' vectors (a chunk without
    `dense_pieces` is embedded whole); queries as is.

    `sentences` embeds the pieces: pass the cached embeddings, so the sentence collection
    reuses the vectors computed here instead of embedding everything twice; `model` is the
    model behind them (asked whether it reads Hangul).
    """

    def __init__(self, sentences: Embeddings, model: Embeddings) -> None:
        self.sentences = sentences
        self.model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [vector for vector, _ in chunk_vectors(self, texts)]

    def embed_query(self, text: str) -> list[float]:
        return self.sentences.embed_query(text)


def chunk_vectors(embeddings: SentenceMeanEmbeddings, texts: list[str]
                  ) -> list[tuple[list[float], list[list[float]]]]:
    """Per text, its chunk vector (the normalised mean of its `embedded_texts`') and the
    vectors of its `dense_pieces` (none when it has none), from one embedding pass."""
    hangul = reads_hangul(embeddings.model)
    groups = [dense_pieces(text, hangul) for text in texts]
    embedded = [embedded_texts(text, hangul) for text in texts]
    flat = embeddings.sentences.embed_documents([p for group in embedded for p in group])
    vectors, start = [], 0
    for group, pieces in zip(embedded, groups, strict=True):
        own = flat[start:start + len(group)]
        vectors.append((_mean(own), own if pieces else []))
        start += len(group)
    return vectors


def sentence_collection_name(settings: Settings, name: str | None = None) -> str:
    """The sentence collection of generation `name` (default: the live one)."""
    return f"{name or active_collection(settings)}-sentences"


def sentence_collection(store: Store, *, create: bool = False) -> Any:
    """The Chroma collection of sentence vectors beside the store's, or None if absent."""
    client = store.client
    name = sentence_collection_name(store.settings, store.name)
    if create:
        return client.get_or_create_collection(
            name, embedding_function=None,
            metadata={"hnsw:space": "cosine",
                      "hnsw:construction_ef": TUNING.sentence_construction_ef})
    if name not in collection_names(client):
        return None
    return client.get_collection(name, embedding_function=None)


def delete_sentence_collection(settings: Settings, name: str | None = None) -> None:
    """Forget the sentence vectors of generation `name` (after `--reindex`)."""
    client = chroma_client(settings)
    if sentence_collection_name(settings, name) in collection_names(client):
        client.delete_collection(sentence_collection_name(settings, name))


def _add_chunks(collection: Any, chunks: list[Document], embeddings: Embeddings,
                hangul: bool) -> None:
    """Embed and write the dense pieces of one batch of chunks (ids `<chunk id>:<n>`).

    Only vectors and metadata: nothing reads a sentence's text back (it is cut again from
    its chunk), and leaving it out spares Chroma its full-text index of 35k pieces."""
    ids, texts, metadatas = [], [], []
    for chunk in chunks:
        for number, piece in enumerate(dense_pieces(chunk.page_content, hangul)):
            ids.append(f"{chunk.id}:{number}")
            texts.append(piece)
            metadatas.append({**chunk.metadata, "chunk_id": chunk.id})
    if ids:
        collection.upsert(ids=ids, metadatas=metadatas,
                          embeddings=embeddings.embed_documents(texts))


def sync_sentence_index(store: Store, *, changed: bool, full: bool = False,
                        sources: Collection[str] | None = None) -> None:
    """Add the sentences of new chunks and delete those of removed ones.

    `sources` (the sources an ingest wrote or deleted chunks of) limits the comparison of
    chunk ids to theirs: a chunk id names one source, so the rest is in step already.
    Reading every sentence's metadata took 9.5 s of a one-file `--watch` batch on 4,019
    chunks (35k sentences, load 8). The collection's chunk count, plus what was added and
    minus what was removed, must then equal the store's, else (a collection made before
    the last ingest finished, or none) every id is compared. Skipped when nothing changed
    and the counts agree; `full` (after an interrupted ingest) always compares every id.
    """
    if store.backend is not None:  # its writes carry the sentence vectors
        return
    collection = sentence_collection(store, create=True)
    total = store.count()
    covered_before = (collection.metadata or {}).get(CHUNKS_KEY)
    if not (full or changed) and covered_before == total:
        return
    in_step = (not full and sources is not None and covered_before is not None
               and covered_before + _sync_ids(store, collection, sources) == total)
    if not in_step:
        _sync_ids(store, collection, None)
    collection.modify(metadata={CHUNKS_KEY: total})  # the distance stays in its configuration


def _sync_ids(store: Store, collection: Any, sources: Collection[str] | None) -> int:
    """Bring the sentences of `sources` (None: all) in step with their chunks; return the
    chunks added less the chunks removed."""
    chunk_ids: set[str] = set()
    covered: set[str] = set()
    for where in source_filters(sources):
        chunk_ids.update(get_all(store.vectorstore, [], where)["ids"])
        metadatas = get_all(collection, ["metadatas"], where)["metadatas"]
        covered.update(meta["chunk_id"] for meta in metadatas)
    gone = sorted(covered - chunk_ids)
    for start in range(0, len(gone), 500):
        collection.delete(where={"chunk_id": {"$in": gone[start:start + 500]}})
    new = sorted(chunk_ids - covered)
    if new:
        embedder = store.vectorstore.embeddings
        sentences = embedder.sentences if isinstance(embedder, SentenceMeanEmbeddings) \
            else embedder
        if sentences is None:
            raise DocentError(f"{store.settings.data_dir}: the store was opened without "
                              "an embedding model, so new sentences cannot be embedded")
        batch = TUNING.embedding_batch * 4
        for start in range(0, len(new), batch):
            _add_chunks(collection, store.vectorstore.get_by_ids(new[start:start + batch]),
                        sentences, reads_hangul(embedder))
    return len(new) - len(gone)


def sentence_ranking(store: Store, question: str, k: int, where: dict[str, Any] | None
                     ) -> list[tuple[Document, float]] | None:
    """Up to `k` chunks ranked by their best sentence's cosine relevance (0..1), or None
    when the store has no sentence vectors (built before them, or empty)."""
    embedder = store.vectorstore.embeddings
    if store.backend is not None:
        if embedder is None:
            return None
        hits = store.backend.dense_sentences(store.name, embedder.embed_query(question), k,
                                             where)
        if not hits:  # no sentence vectors (all text skipped by `dense_pieces`), or none match
            return None
        by_id = {doc.id: doc for doc in store.backend.get_chunks(store.name,
                                                                 [i for i, _ in hits])}
        return [(by_id[i], max(0.0, score)) for i, score in hits if i in by_id]
    collection = sentence_collection(store)
    if collection is None or embedder is None or not collection.count():
        return None
    vector = embedder.embed_query(question)
    found = collection.query(query_embeddings=[vector], n_results=min(k * 5, collection.count()),
                             where=where or None, include=["metadatas", "distances"])
    best: dict[str, float] = {}
    for meta, distance in zip(found["metadatas"][0], found["distances"][0], strict=True):
        if meta is None:  # deleted by another process since this client loaded the vectors
            continue
        best.setdefault(str(meta["chunk_id"]), max(0.0, 1.0 - float(distance)))
    ranked = list(best)[:k]
    if not ranked:  # a filter nothing matches (Chroma refuses an empty id list)
        return []
    by_id = {doc.id: doc for doc in store.vectorstore.get_by_ids(ranked)}
    return [(by_id[i], best[i]) for i in ranked if i in by_id]
