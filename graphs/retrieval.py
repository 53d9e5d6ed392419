"""Hybrid search: the dense ranking (chunks by their best sentence) and the BM25
ranking, fused by weighted normalised scores (convex, the default) or reciprocal rank.

Each candidate carries its evidence in metadata: `dense_score` (cosine relevance 0..1),
`keyword_score` (BM25), `fused_score` and `score` (what the sources show).
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from core.index.keyword import keyword_hits
from core.index.sentences import sentence_ranking
from core.index.tokens import mostly_hangul

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from core.index.keyword import KeywordIndex
    from core.index.store import Store
    from graphs.options import RunOptions


def dense_ranking(store: Store, question: str, opts: RunOptions) -> list[Document]:
    """Chroma's ranking in the chosen LangChain search mode, with `dense_score` set;
    `similarity` ranks chunks by their best sentence (core/index/sentences.py)."""
    vectorstore = store.vectorstore
    match opts.search_type:
        case "mmr":
            docs = vectorstore.max_marginal_relevance_search(
                question, k=opts.fetch_k, fetch_k=opts.fetch_k * 2, filter=opts.filter)
            pairs = [(doc, 1.0 - rank / max(len(docs), 1)) for rank, doc in enumerate(docs)]
        case "similarity" | "similarity_score_threshold":
            pairs = sentence_ranking(store, question, opts.fetch_k, opts.filter) or [
                (doc, max(0.0, 1.0 - distance))  # cosine distance → relevance in [0, 1]
                for doc, distance in vectorstore.similarity_search_with_score(
                    question, k=opts.fetch_k, filter=opts.filter)]
            if opts.search_type == "similarity_score_threshold":
                pairs = [(doc, score) for doc, score in pairs if score >= opts.min_relevance]
    for doc, score in pairs:
        doc.metadata["dense_score"] = float(score)
    return [doc for doc, _ in pairs]


def keyword_ranking(store: Store, index: KeywordIndex, question: str,
                    opts: RunOptions) -> list[Document]:
    """BM25's ranking (the metadata filter applies here too), with `keyword_score` set."""
    hits = keyword_hits(store, index, question, opts.fetch_k, opts.filter)
    if not hits:
        return []
    by_id = {doc.id: doc for doc in store.vectorstore.get_by_ids([i for i, _ in hits])}
    ranked = []
    for chunk_id, score in hits:
        doc = by_id.get(chunk_id)
        if doc is not None:  # an index a little older than the collection
            doc.metadata["keyword_score"] = score
            ranked.append(doc)
    return ranked


def reciprocal_rank_fusion(rankings: list[tuple[float, list[Document]]], k: int
                           ) -> list[Document]:
    """Weighted RRF: sum of weight/(k + rank) over the rankings; evidence metadata merged."""
    fused: dict[str, Document] = {}
    totals: dict[str, float] = {}
    for weight, docs in rankings:
        for rank, doc in enumerate(docs, start=1):
            key = doc.id or doc.page_content
            if key in fused:
                fused[key].metadata.update(doc.metadata)
            else:
                fused[key] = doc
            totals[key] = totals.get(key, 0.0) + weight / (k + rank)
    order = sorted(totals, key=totals.__getitem__, reverse=True)
    for key in order:
        fused[key].metadata["fused_score"] = totals[key]
    return [fused[key] for key in order]


def convex_fusion(rankings: list[tuple[float, str, list[Document]]]) -> list[Document]:
    """Weighted sum of each ranking's min-max normalised scores (metadata key per ranking);
    a document a ranking did not return scores 0 there."""
    fused: dict[str, Document] = {}
    totals: dict[str, float] = {}
    for weight, key, docs in rankings:
        scores = [float(doc.metadata[key]) for doc in docs]
        low, high = min(scores, default=0.0), max(scores, default=0.0)
        for doc, score in zip(docs, scores, strict=True):
            ident = doc.id or doc.page_content
            if ident in fused:
                fused[ident].metadata.update(doc.metadata)
            else:
                fused[ident] = doc
            normalised = (score - low) / (high - low) if high > low else 1.0
            totals[ident] = totals.get(ident, 0.0) + weight * normalised
    order = sorted(totals, key=totals.__getitem__, reverse=True)
    for ident in order:
        fused[ident].metadata["fused_score"] = totals[ident]
    return [fused[ident] for ident in order]


_keyword_threads: ThreadPoolExecutor | None = None
_keyword_threads_lock = threading.Lock()


def _keyword_thread() -> ThreadPoolExecutor:
    """Threads that rank by BM25 while the asking thread ranks by sentence vectors. They
    live with the process: on PostgreSQL each thread keeps its connection."""
    global _keyword_threads
    with _keyword_threads_lock:
        if _keyword_threads is None:
            _keyword_threads = ThreadPoolExecutor(2, thread_name_prefix="docent-keyword")
        return _keyword_threads


def hybrid_search(store: Store, index: KeywordIndex | None, question: str,
                  opts: RunOptions) -> list[Document]:
    """Fused candidates, at most `fetch_k`; a zero weight skips that retriever. On a
    database server the two rankings run at once, each a server process's work: at 1M
    chunks retrieve p95 went from 175 to 145 ms (bench/scale.py, idle). In the process
    they run one after the other: a second thread made the embedded store's default path
    slower at 11.6k chunks, p50 / p95 31 / 38 → 35 / 45 ms (bench/latency.py, idle)."""
    rankings = []
    dense_weight = opts.dense_weight_korean if mostly_hangul(question) else opts.dense_weight
    keyword: Future[list[Document]] | None = None
    bm25 = index if opts.keyword_weight > 0 else None
    if bm25 is not None and store.searched_by_a_server:
        keyword = _keyword_thread().submit(contextvars.copy_context().run, keyword_ranking,
                                           store, bm25, question, opts)
    if dense_weight > 0 or index is None:
        rankings.append((dense_weight or 1.0, "dense_score",
                         dense_ranking(store, question, opts)))
    if bm25 is not None:
        rankings.append((opts.keyword_weight, "keyword_score", keyword.result() if keyword
                         else keyword_ranking(store, bm25, question, opts)))
    match opts.fusion:
        case "rrf":
            fused = reciprocal_rank_fusion([(w, docs) for w, _, docs in rankings], opts.rrf_k)
        case "convex":
            fused = convex_fusion(rankings)
    candidates = fused[:opts.fetch_k]
    for doc in candidates:
        doc.metadata["score"] = round(doc.metadata.get("dense_score",
                                                       doc.metadata["fused_score"]), 4)
    return candidates
