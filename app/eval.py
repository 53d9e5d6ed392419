"""`python -m app eval`: retrieval quality and latency on a benchmark with gold passages.

Every corpus passage is ingested as one document (its id as `source`) into a fresh store
under DOCENT_DATA_DIR, every question goes through the real retrieve → rerank path, and a
retrieved chunk is a hit when it comes from a gold passage. recall@k: share of questions
with a gold chunk in the top k; MRR@10: mean of 1/rank of the first gold chunk in the top
10; nDCG@10: over the ranking of distinct passages, binary relevance.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from app.errors import DocentError

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from app.settings import Settings
    from graphs.context import Context

Articles = Literal["even", "odd", "all"]


@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Query:
    id: str
    question: str
    relevant_ids: tuple[str, ...]


@dataclass(frozen=True)
class Benchmark:
    name: str
    passages: list[Passage]
    queries: list[Query]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DocentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DocentError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return rows


def load_jsonl_benchmark(corpus: Path, queries: Path) -> Benchmark:
    """corpus.jsonl {id, title, text} and queries.jsonl {id, question, relevant_ids}."""
    try:
        passages = [Passage(str(r["id"]), str(r.get("title", "")), str(r["text"]))
                    for r in _read_jsonl(corpus)]
        asked = [Query(str(r["id"]), str(r["question"]), tuple(map(str, r["relevant_ids"])))
                 for r in _read_jsonl(queries)]
    except (KeyError, TypeError) as exc:
        raise DocentError(f"{corpus} / {queries}: a line lacks the field {exc}") from None
    return Benchmark(corpus.parent.name or corpus.stem, passages, asked)


def load_squad_benchmark(path: Path, articles: Articles = "all") -> Benchmark:
    """A SQuAD-format JSON (KorQuAD too): one passage per paragraph, id `<article>:<para>`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except OSError as exc:
        raise DocentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, KeyError, TypeError):
        raise DocentError(f"{path}: not a SQuAD-format JSON (no data[] list)") from None
    passages, queries = [], []
    for a, article in enumerate(data):
        if (articles == "even" and a % 2) or (articles == "odd" and not a % 2):
            continue
        for p, paragraph in enumerate(article["paragraphs"]):
            pid = f"{path.stem}:{a}:{p}"
            passages.append(Passage(pid, str(article.get("title", "")), paragraph["context"]))
            queries += [Query(str(qa["id"]), qa["question"], (pid,)) for qa in paragraph["qas"]]
    return Benchmark(f"{path.stem}-{articles}", passages, queries)


def sample(bench: Benchmark, limit: int | None, max_passages: int | None, seed: int
           ) -> Benchmark:
    """`limit` questions drawn with `seed`; with `max_passages`, the corpus shrinks to their
    gold passages plus seeded random others up to that size (same seed, same sample)."""
    rng = random.Random(seed)
    queries = bench.queries
    if limit is not None and limit < len(queries):
        queries = rng.sample(queries, limit)
    passages = bench.passages
    if max_passages is not None and max_passages < len(passages):
        gold = {pid for q in queries for pid in q.relevant_ids}
        others = [p for p in passages if p.id not in gold]
        extra = rng.sample(others, max(0, max_passages - len(gold)))
        keep = gold | {p.id for p in extra}
        passages = [p for p in passages if p.id in keep]
    return replace(bench, passages=passages, queries=queries)


def article_half(bench: Benchmark, half: Literal["tuning", "held-out"]) -> Benchmark:
    """The questions of every other article (ids `<article>:<paragraph>`): the first, third…
    article for tuning, the second, fourth… held out. The corpus stays whole."""
    articles = list(dict.fromkeys(p.id.rsplit(":", 1)[0] for p in bench.passages))
    chosen = set(articles[0 if half == "tuning" else 1::2])
    queries = [q for q in bench.queries if q.relevant_ids[0].rsplit(":", 1)[0] in chosen]
    return replace(bench, queries=queries)


def eval_settings(settings: Settings, bench: Benchmark) -> Settings:
    """The settings of the benchmark's own store, under DOCENT_DATA_DIR/eval/<name>."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", bench.name).strip("-") or "benchmark"
    return settings.model_copy(update={"data_dir": settings.data_dir / "eval" / slug,
                                       "collection": "eval"})


def build_store(settings: Settings, bench: Benchmark) -> Settings:
    """Ingest every passage as one document into a fresh store; return its settings.

    The embedding cache survives (`--reindex` keeps it), so a second run embeds nothing.
    """
    from langchain_core.documents import Document

    from graphs.resources import store_for
    from ingest.keyword_index import sync_keyword_index
    from ingest.pipeline import index_chunks, ingest_lock, open_for_ingest
    from ingest.report import IngestReport
    from ingest.sentence_index import sync_sentence_index
    from ingest.splitting import make_splitter, split

    target = eval_settings(settings, bench)
    docs = [Document(page_content=p.text, metadata={"source": p.id, "title": p.title})
            for p in bench.passages]
    report = IngestReport()
    with ingest_lock(target):
        store = open_for_ingest(target, reindex=True)
        index_chunks(split(make_splitter(target), docs), store, report)
        sync_keyword_index(store, report)
        sync_sentence_index(store, report)
    store_for.cache_clear()  # a store opened earlier holds the replaced collection
    return target


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


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def score_ranking(passage_ids: list[str], gold: set[str]) -> tuple[int | None, float]:
    """Rank (1-based) of the first gold chunk, and nDCG@10 over the distinct passages."""
    first = next((r for r, pid in enumerate(passage_ids, start=1) if pid in gold), None)
    distinct = list(dict.fromkeys(passage_ids))[:10]
    dcg = sum(1 / math.log2(r + 1) for r, pid in enumerate(distinct, start=1) if pid in gold)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(gold), 10) + 1))
    return first, dcg / ideal if ideal else 0.0


def ranked_chunks(settings: Settings, question: str, ctx: Context, rerank: bool
                  ) -> list[Document]:
    """The real retrieve (→ rerank) path for one question."""
    from graphs.rerank import rerank_candidates
    from graphs.resources import store_for
    from graphs.retrieval import RetrievalOptions, hybrid_search
    from ingest.keyword_index import load_keyword_index

    candidates = hybrid_search(store_for(settings), load_keyword_index(settings), question,
                               RetrievalOptions.of(settings, ctx))
    if not rerank:
        return candidates
    return rerank_candidates(question, candidates, settings, ctx)[0]


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
        latency_ms_p50=_percentile(latencies, 0.5), latency_ms_p95=_percentile(latencies, 0.95))


def evaluate(settings: Settings, bench: Benchmark, ctx: Context, *, rerank: bool = True
             ) -> Scores:
    """Ask every question of the store built by `build_store`, and score the rankings."""
    ctx = replace(ctx, k=max(ctx.k or 0, 20), fetch_k=max(ctx.fetch_k or settings.fetch_k, 20))
    ranked_chunks(settings, "warm-up 준비", ctx, rerank)  # model loads are not query latency
    return score_questions(bench, lambda question: [
        str(c.metadata.get("source")) for c in ranked_chunks(settings, question, ctx, rerank)])


def word_tokens(text: str) -> list[str]:
    """The textbook BM25 tokens: lower-cased `\\w+` words."""
    return re.findall(r"\w+", text.lower())


def bigram_tokens(text: str) -> list[str]:
    """The textbook Korean BM25 tokens: character bigrams inside each `\\w+` word."""
    return [w[i:i + 2] for w in word_tokens(text) for i in range(max(len(w) - 1, 1))]


BASELINES: dict[str, Callable[[str], list[str]]] = {
    "BM25 (words)": word_tokens, "BM25 (character bigrams)": bigram_tokens}


def evaluate_baseline(settings: Settings, bench: Benchmark,
                      tokenize: Callable[[str], list[str]]) -> Scores:
    """A textbook baseline on the same chunks: plain BM25 (bm25s defaults) over `tokenize`
    tokens, no fusion, no rerank; built in memory, top 20 per question."""
    import bm25s

    from graphs.resources import store_for

    stored = store_for(settings).vectorstore.get(include=["documents", "metadatas"])
    sources = [str(m.get("source")) for m in stored["metadatas"]]
    vocab: dict[str, int] = {}
    corpus = [[vocab.setdefault(t, len(vocab)) for t in tokenize(text or "")]
              for text in stored["documents"]]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)

    def rank(question: str) -> list[str]:
        known = [vocab[t] for t in tokenize(question) if t in vocab]
        if not known:
            return []
        docs, scores = retriever.retrieve(
            bm25s.tokenization.Tokenized(ids=[known], vocab=vocab),
            k=min(20, len(sources)), show_progress=False, n_threads=1)
        return [sources[int(d)] for d, score in zip(docs[0], scores[0], strict=True)
                if score > 0]

    return score_questions(bench, rank)


def best_baseline(settings: Settings, bench: Benchmark) -> tuple[str, Scores]:
    """The textbook baseline with the highest MRR@10 on this benchmark (ties: recall@5)."""
    measured = {name: evaluate_baseline(settings, bench, tokenize)
                for name, tokenize in BASELINES.items()}
    name = max(measured, key=lambda n: (measured[n].mrr_at_10, measured[n].recall_at_5))
    return name, measured[name]
