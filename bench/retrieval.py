"""Retrieval benchmark: the textbook baselines, dense-only, BM25-only, hybrid and
hybrid + selection on SQuAD's and KorQuAD's even articles, tuning and reporting halves.

    .venv/bin/python bench/retrieval.py [--limit 300] [--seed 1] [--split tuning]

Each benchmark's articles alternate between the halves (the 1st, 3rd, … for tuning; the
2nd, 4th, … for reporting); the corpus is all of its even articles. KorQuAD's odd
articles are reserved and never read. Each corpus is ingested once per run
(DOCENT_DATA_DIR/eval/<name>, embeddings cached); every mode asks the same sampled
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

from app.baselines import BASELINES, evaluate_baseline  # noqa: E402
from app.benchmarks import (  # noqa: E402
    Benchmark,
    Half,
    article_half,
    load_jsonl_benchmark,
    load_squad_benchmark,
    sample,
)
from app.eval import Scores, build_store, evaluate  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.tuning import TUNING, model_scale  # noqa: E402
from graphs.context import Context  # noqa: E402

MODES = [
    ("dense only", Context(dense_weight=1.0, keyword_weight=0.0), False),
    ("BM25 only", Context(dense_weight=0.0), False),
    ("hybrid", Context(), False),
    ("hybrid + selection (default path)", Context(), True),
]


def datasets(shared: Path, splits: list[Half]) -> list[tuple[str, Benchmark]]:
    squad = shared / "eval" / "squad-dev-even"
    korquad = shared / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
    if not squad.is_dir() or not korquad.is_file():
        sys.exit(f"bench: the benchmarks are missing under {shared} (see ../shared/README.md)")
    squad_even = load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl")
    korquad_even = load_squad_benchmark(korquad, "even")
    return [(split, article_half(bench, split)) for bench in (squad_even, korquad_even)
            for split in splits]


def row(name: str, split: str, mode: str, chunks: int, s: Scores) -> str:
    return (f"| {name} | {split} | {mode} | {chunks} | {s.recall_at_5:.3f} | "
            f"{s.recall_at_20:.3f} | {s.mrr_at_10:.3f} | {s.latency_ms_p50:.0f} | "
            f"{s.latency_ms_p95:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="questions per set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--split", choices=["tuning", "reporting"], action="append",
                        help="only this half (repeatable; default both)")
    args = parser.parse_args()
    settings = Settings()
    print(f"embeddings {settings.embedding_model} (sentence vectors), fusion "
          f"{TUNING.fusion} (dense {TUNING.dense_weight}, Korean dense "
          f"{model_scale(settings.embedding_model).korean_dense_weight}, BM25 "
          f"{TUNING.keyword_weight}), rerank model {settings.rerank_model or 'none'}, "
          f"{args.limit} questions a set, seed {args.seed}\n")
    print("| dataset | split | mode | chunks | recall@5 | recall@20 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for split, full in datasets(args.shared, args.split or ["tuning", "reporting"]):
        bench = sample(full, args.limit, None, args.seed)
        store = build_store(settings, bench)
        chunks = store.store().count()
        for name, tokenize in BASELINES.items():
            print(row(bench.name, split, f"baseline: {name}", chunks,
                      evaluate_baseline(store, bench, tokenize)), flush=True)
        for mode, ctx, select in MODES:
            print(row(bench.name, split, mode, chunks, evaluate(store, bench, ctx, select=select)),
                  flush=True)


if __name__ == "__main__":
    main()
