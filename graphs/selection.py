"""Select the passages the model reads from the fused candidates: a cross-encoder rerank
when one is configured (passages under its score threshold dropped), else a relevance
test (is there evidence for this question at all?) plus MMR de-duplication. No passage
left, or none with enough evidence, means a refusal.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from core.errors import DocentError
from core.index.tokens import keyword_tokens

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from core.index.keyword import KeywordIndex
    from graphs.options import RunOptions


@lru_cache(maxsize=2)
def load_cross_encoder(path: str) -> Any:
    """A sentence-transformers CrossEncoder from a local folder, loaded once per process."""
    from pathlib import Path

    if not Path(path).is_dir():
        raise DocentError(f"reranker model not found: {path} (DOCENT_RERANK_MODEL)")
    from sentence_transformers import CrossEncoder

    return CrossEncoder(path, device="cpu", local_files_only=True)


def cross_encoder_rerank(question: str, docs: list[Document], model_path: str, top_n: int,
                         min_score: float) -> list[Document]:
    """The first `top_n` candidates reordered by the cross-encoder; those below `min_score`
    dropped. Scores are the model's 0..1 relevance (sigmoid for one-logit models)."""
    head = docs[:top_n]
    if not head:
        return []
    model = load_cross_encoder(model_path)
    scores = model.predict([(question, doc.page_content) for doc in head],
                           show_progress_bar=False, convert_to_numpy=True)
    for doc, score in zip(head, scores, strict=True):
        doc.metadata["rerank_score"] = doc.metadata["score"] = round(float(score), 4)
    ranked = sorted(head, key=lambda d: d.metadata["rerank_score"], reverse=True)
    return [doc for doc in ranked if doc.metadata["rerank_score"] >= min_score]


def relevant(question: str, docs: list[Document], index: KeywordIndex | None,
             min_relevance: float, min_coverage: float, dense_alone: float) -> list[Document]:
    """Candidates with enough evidence for the question.

    With a keyword index: at least `min_coverage` of the question's IDF weight among the
    passage's keywords, or a dense score of at least `dense_alone` (paraphrases). Dense
    scores alone cannot refuse off-topic Korean questions (MiniLM scores them ~0.48, about
    what it gives on-topic ones). Without an index: a dense score of `min_relevance`.
    """
    if index is None:
        return [d for d in docs if d.metadata.get("dense_score", 0.0) >= min_relevance]
    coverage = index.coverage(question, [d.id or "" for d in docs])
    kept = []
    for doc in docs:
        doc.metadata["keyword_coverage"] = round(coverage.get(doc.id or "", 0.0), 4)
        if (doc.metadata["keyword_coverage"] >= min_coverage
                or doc.metadata.get("dense_score", 0.0) >= dense_alone):
            kept.append(doc)
    return kept


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def mmr_deduplicate(docs: list[Document], k: int, lambda_mult: float) -> list[Document]:
    """Pick `k` passages by maximal marginal relevance: rank-based relevance against the
    word/bigram overlap (Jaccard) with the passages already picked."""
    tokens = [set(keyword_tokens(doc.page_content)) for doc in docs]
    relevance = [1.0 - rank / max(len(docs), 1) for rank in range(len(docs))]
    picked: list[int] = []
    left = list(range(len(docs)))
    while left and len(picked) < k:
        def marginal(i: int) -> float:
            overlap = max((_jaccard(tokens[i], tokens[j]) for j in picked), default=0.0)
            return lambda_mult * relevance[i] - (1 - lambda_mult) * overlap

        best = max(left, key=marginal)
        picked.append(best)
        left.remove(best)
    return [docs[i] for i in picked]


def select_passages(question: str, docs: list[Document], index: KeywordIndex | None,
                    opts: RunOptions) -> tuple[list[Document], str]:
    """The passages for the model, best first, and which selection mode produced them."""
    if opts.rerank_model:
        ranked = cross_encoder_rerank(question, docs, opts.rerank_model, opts.rerank_top_n,
                                      opts.rerank_min_score)
        return ranked[:opts.k], "cross-encoder"
    evidence = relevant(question, docs, index, opts.min_relevance, opts.min_keyword_coverage,
                        opts.min_dense_alone)
    mode = "relevance filter (dense + keyword coverage), MMR" if index else \
        "relevance filter (dense), MMR"
    # the filter decides whether to answer at all; dropping each weaker passage as well
    # cost 3 points of recall@20 on SQuAD and KorQuAD (gold passages paraphrase the question)
    if not evidence:
        return [], mode
    return mmr_deduplicate(docs, opts.k, opts.mmr_lambda), mode
