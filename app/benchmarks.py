"""Benchmarks with gold passages: SQuAD-format JSON (KorQuAD too) or corpus/queries JSONL,
seeded samples, and the tuning / reporting halves."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from core.errors import DocentError

# KorQuAD's odd articles are reserved (../shared/eval/korquad/NOTICE.md): never read
Articles = Literal["even", "all"]
Half = Literal["tuning", "reporting"]


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


def load_squad_benchmark(path: Path, articles: Articles = "even") -> Benchmark:
    """A SQuAD-format JSON (KorQuAD too): one passage per paragraph, id `<article>:<para>`.
    KorQuAD's odd articles are reserved: its file is read with `articles="even"` only."""
    if articles == "all" and "korquad" in path.name.lower():
        raise DocentError(f"{path}: KorQuAD's odd articles are reserved; use --articles even")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except OSError as exc:
        raise DocentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, KeyError, TypeError):
        raise DocentError(f"{path}: not a SQuAD-format JSON (no data[] list)") from None
    passages, queries = [], []
    for a, article in enumerate(data):
        if articles == "even" and a % 2:
            continue
        for p, paragraph in enumerate(article["paragraphs"]):
            pid = f"{path.stem}:{a}:{p}"
            passages.append(Passage(pid, str(article.get("title", "")), paragraph["context"]))
            queries += [Query(str(qa["id"]), qa["question"], (pid,)) for qa in paragraph["qas"]]
    return Benchmark(f"{path.stem}-{articles}", passages, queries)


def sample(bench: Benchmark, limit: int | None, max_passages: int | None, seed: int
           ) -> Benchmark:
    """`limit` answerable questions drawn with `seed` (unanswerable ones all stay); with
    `max_passages`, the corpus shrinks to their gold passages plus seeded random others up
    to that size (same seed, same sample)."""
    rng = random.Random(seed)
    queries = [q for q in bench.queries if q.relevant_ids]
    if limit is not None and limit < len(queries):
        queries = rng.sample(queries, limit)
    queries += [q for q in bench.queries if not q.relevant_ids]
    passages = bench.passages
    if max_passages is not None and max_passages < len(passages):
        gold = {pid for q in queries for pid in q.relevant_ids}
        others = [p for p in passages if p.id not in gold]
        extra = rng.sample(others, max(0, max_passages - len(gold)))
        keep = gold | {p.id for p in extra}
        passages = [p for p in passages if p.id in keep]
    return replace(bench, passages=passages, queries=queries)


def _article(passage_id: str) -> str:
    return passage_id.rsplit(":", 1)[0]


def article_half(bench: Benchmark, half: Half) -> Benchmark:
    """The questions of every other article (ids `<article>:<paragraph>`): the first, third…
    article for tuning, the second, fourth… for reporting. The corpus stays whole."""
    articles = list(dict.fromkeys(_article(p.id) for p in bench.passages))
    chosen = set(articles[0 if half == "tuning" else 1::2])
    queries = [q for q in bench.queries if _article(q.relevant_ids[0]) in chosen]
    return replace(bench, queries=queries)




def with_unanswerable(bench: Benchmark, n: int, seed: int) -> Benchmark:
    """The benchmark without some of its articles, plus `n` questions of those articles
    that nothing left in the corpus answers (their `relevant_ids` empty)."""
    if n <= 0:
        return bench
    rng = random.Random(seed)
    articles = list(dict.fromkeys(_article(q.relevant_ids[0]) for q in bench.queries
                                  if q.relevant_ids))
    rng.shuffle(articles)
    removed: set[str] = set()
    pool: list[Query] = []
    for article in articles[:-1]:  # at least one article stays answerable
        if len(pool) >= n:
            break
        removed.add(article)
        pool += [q for q in bench.queries if q.relevant_ids
                 and _article(q.relevant_ids[0]) == article]
    passages = [p for p in bench.passages if _article(p.id) not in removed]
    answerable = [q for q in bench.queries if q.relevant_ids
                  and _article(q.relevant_ids[0]) not in removed]
    unanswerable = [replace(q, relevant_ids=()) for q in rng.sample(pool, min(n, len(pool)))]
    return replace(bench, passages=passages, queries=answerable + unanswerable)
