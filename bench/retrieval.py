"""Retrieval benchmark: the textbook baselines, dense-only, BM25-only, hybrid and
hybrid+rerank on SQuAD dev and KorQuAD dev, tuning and held-out halves, in one run.

    .venv/bin/python bench/retrieval.py [--limit 300] [--seed 1] [--shared ../shared]

Tuning sets: every other article of squad-dev-even (the 1st, 3rd, …) and KorQuAD's
even-indexed articles; held-out sets, never tuned on: the other SQuAD articles (same
corpus) and KorQuAD's odd-indexed articles (their own corpus). Each corpus is ingested once
per run (DOCENT_DATA_DIR/eval/<name>, embeddings cached); every mode asks the same sampled
questions of the same chunks. Figures as in `python -m app eval`; the baselines are plain
BM25 (bm25s defaults) over lower-cased words and over character bigrams, as in
../shared/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import (  # noqa: E402
    BASELINES,
    Benchmark,
    Scores,
    article_half,
    build_store,
    evaluate,
    evaluate_baseline,
    load_jsonl_benchmark,
    load_squad_benchmark,
    sample,
)
from app.settings import get_settings  # noqa: E402
from graphs.context import Context  # noqa: E402
from graphs.resources import store_for  # noqa: E402

MODES = [
    ("dense only", Context(dense_weight=1.0, keyword_weight=0.0), False),
    ("BM25 only", Context(dense_weight=0.0), False),
    ("hybrid", Context(), False),
    ("hybrid + rerank", Context(), True),
]


def datasets(shared: Path) -> list[tuple[str, Benchmark]]:
    squad = shared / "eval" / "squad-dev-even"
    korquad = shared / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
    if not squad.is_dir() or not korquad.is_file():
        sys.exit(f"bench: the benchmarks are missing under {shared} (see ../shared/README.md)")
    squad_all = load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl")
    return [("tuning", article_half(squad_all, "tuning")),
            ("held-out", article_half(squad_all, "held-out")),
            ("tuning", load_squad_benchmark(korquad, "even")),
            ("held-out", load_squad_benchmark(korquad, "odd"))]


def row(name: str, split: str, mode: str, chunks: int, s: Scores) -> str:
    return (f"| {name} | {split} | {mode} | {chunks} | {s.recall_at_5:.3f} | "
            f"{s.recall_at_20:.3f} | {s.mrr_at_10:.3f} | {s.latency_ms_p50:.0f} | "
            f"{s.latency_ms_p95:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="questions per set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    settings = get_settings()
    print(f"embeddings {settings.embedding_model} (sentence vectors), fusion "
          f"{settings.fusion} (dense {settings.dense_weight}, Korean dense "
          f"{settings.korean_dense_weight}, BM25 {settings.keyword_weight}), rerank model "
          f"{settings.rerank_model or 'none'}, {args.limit} questions a set, seed {args.seed}\n")
    print("| dataset | split | mode | chunks | recall@5 | recall@20 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for split, full in datasets(args.shared):
        bench = sample(full, args.limit, None, args.seed)
        store = build_store(settings, bench)
        chunks = store_for(store).count()
        for name, tokenize in BASELINES.items():
            print(row(bench.name, split, f"baseline: {name}", chunks,
                      evaluate_baseline(store, bench, tokenize)), flush=True)
        for mode, ctx, rerank in MODES:
            print(row(bench.name, split, mode, chunks, evaluate(store, bench, ctx, rerank=rerank)),
                  flush=True)


if __name__ == "__main__":
    main()
