"""`python -m app eval`: retrieval quality and latency on a benchmark with gold passages.

Every corpus passage is ingested as one document (its id as `source`) into a fresh store
under DOCENT_DATA_DIR, every question goes through the real retrieve → select path, and a
retrieved chunk is a hit when it comes from a gold passage. recall@k: share of questions
with a gold chunk in the top k; MRR@10: mean of 1/rank of the first gold chunk in the top
10; nDCG@10: over the ranking of distinct passages, binary relevance.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from core.resources import Resources
from graphs.options import resolve
from graphs.retrieval import hybrid_search
from graphs.selection import select_passages

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from app.benchmarks import Benchmark
    from core.settings import Settings
    from graphs.context import Context

# rankings are scored to this depth (recall@20)
RANKING_DEPTH = 20


def eval_settings(settings: Settings, bench: Benchmark) -> Settings:
    """The settings of the benchmark's own store, under DOCENT_DATA_DIR/eval/<name> (in
    DOCENT_DATABASE_URL: the collection `<collection>-eval-<name>`, as the database is
    shared by every data dir)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", bench.name).strip("-") or "benchmark"
    collection = f"{settings.collection}-eval-{slug}" if settings.database_url else "eval"
    return settings.model_copy(update={"data_dir": settings.data_dir / "eval" / slug,
                                       "collection": collection})


def build_store(settings: Settings, bench: Benchmark) -> Resources:
    """Ingest every passage as one document into a fresh store, through the ingest pipeline;
    return the resources that read it.

    The embedding cache survives `--reindex`, so a second run embeds nothing.
    """
    from langchain_core.documents import Document

    from ingest.pipeline import ingest_documents

    target = eval_settings(settings, bench)
    docs = [Document(page_content=p.text, metadata={"source": p.id, "title": p.title})
            for p in bench.passages]
    ingest_documents(docs, target, reindex=True)
    return Resources(target)


@dataclass(frozen=True)
class Scores:
    """Retrieval figures over one run of the questions."""

    queries: int
    recall_at_1: float
    recall_at_5: float
    recall_at_20: float
    mrr_at_10: float
    ndcg_at_10: float
    latency_ms_p50: float
    latency_ms_p95: float

    def to_dict(self) -> dict[str, float | int]:
        return {"recall@1": self.recall_at_1, "recall@5": self.recall_at_5,
                "recall@20": self.recall_at_20, "mrr@10": self.mrr_at_10,
                "ndcg@10": self.ndcg_at_10, "latency_ms_p50": self.latency_ms_p50,
                "latency_ms_p95": self.latency_ms_p95, "queries": self.queries}

    def table(self) -> str:
        return "\n".join(f"{key:<16}{value:>10.3f}" if isinstance(value, float)
                         else f"{key:<16}{value:>10}" for key, value in self.to_dict().items())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def score_ranking(passage_ids: list[str], gold: set[str]) -> tuple[int | None, float]:
    """Rank (1-based) of the first gold chunk, and nDCG@10 over the distinct passages."""
    first = next((r for r, pid in enumerate(passage_ids, start=1) if pid in gold), None)
    distinct = list(dict.fromkeys(passage_ids))[:10]
    dcg = sum(1 / math.log2(r + 1) for r, pid in enumerate(distinct, start=1) if pid in gold)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(gold), 10) + 1))
    return first, dcg / ideal if ideal else 0.0


def ranked_chunks(resources: Resources, question: str, ctx: Context, select: bool
                  ) -> list[Document]:
    """The real retrieve (→ select) path for one question."""
    opts = resolve(resources.settings, ctx)
    index = resources.keyword_index()
    candidates = hybrid_search(resources.store(), index, question, opts)
    if not select:
        return candidates
    return select_passages(question, candidates, index, opts)[0]


def score_questions(bench: Benchmark, rank: Callable[[str], list[str]]) -> Scores:
    """Time and score `rank` (question → passage ids of the ranked chunks) on every question."""
    firsts, ndcgs, latencies = [], [], []
    for query in bench.queries:
        started = time.perf_counter()
        passage_ids = rank(query.question)
        latencies.append((time.perf_counter() - started) * 1000)
        first, ndcg = score_ranking(passage_ids, set(query.relevant_ids))
        firsts.append(first)
        ndcgs.append(ndcg)
    n = max(len(bench.queries), 1)

    def recall(k: int) -> float:
        return sum(1 for f in firsts if f is not None and f <= k) / n

    return Scores(
        queries=len(bench.queries), recall_at_1=recall(1), recall_at_5=recall(5),
        recall_at_20=recall(20),
        mrr_at_10=sum(1 / f for f in firsts if f is not None and f <= 10) / n,
        ndcg_at_10=sum(ndcgs) / n,
        latency_ms_p50=percentile(latencies, 0.5), latency_ms_p95=percentile(latencies, 0.95))


def evaluate(resources: Resources, bench: Benchmark, ctx: Context, *, select: bool = True
             ) -> Scores:
    """Ask every question of the store built by `build_store`, and score the rankings."""
    ctx = replace(ctx, k=RANKING_DEPTH, fetch_k=max(ctx.fetch_k or 0, RANKING_DEPTH))
    ranked_chunks(resources, "warm-up 준비", ctx, select)  # model loads are not query latency
    return score_questions(bench, lambda question: [
        str(c.metadata.get("source")) for c in ranked_chunks(resources, question, ctx, select)])
