"""Retrieval benchmark: dense-only, BM25-only, hybrid and hybrid+rerank on SQuAD dev
(even articles) and KorQuAD dev (even articles), in one run, as a Markdown table.

    .venv/bin/python bench/retrieval.py [--limit 300] [--seed 1] [--shared ../shared]

Each dataset is ingested once (DOCENT_DATA_DIR/eval/<name>, embeddings cached), then every
mode asks the same sampled questions of the same chunks. Figures as in `python -m app eval`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.eval import (  # noqa: E402
    Benchmark,
    build_store,
    evaluate,
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


def datasets(shared: Path) -> list[Benchmark]:
    squad = shared / "eval" / "squad-dev-even"
    korquad = shared / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
    if not squad.is_dir() or not korquad.is_file():
        sys.exit(f"bench: the benchmarks are missing under {shared} (see ../shared/README.md)")
    return [load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl"),
            load_squad_benchmark(korquad, "even")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="questions per dataset")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    settings = get_settings()
    print(f"embeddings {settings.embedding_model}, fusion {settings.fusion}, "
          f"rerank model {settings.rerank_model or 'none'}, {args.limit} questions, "
          f"seed {args.seed}\n")
    print("| dataset | mode | chunks | recall@5 | recall@20 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for full in datasets(args.shared):
        bench = sample(full, args.limit, None, args.seed)
        store = build_store(settings, bench)
        chunks = store_for(store).count()
        for name, ctx, rerank in MODES:
            s = evaluate(store, bench, ctx, rerank=rerank)
            print(f"| {bench.name} | {name} | {chunks} | {s.recall_at_5:.3f} | "
                  f"{s.recall_at_20:.3f} | {s.mrr_at_10:.3f} | {s.latency_ms_p50:.0f} | "
                  f"{s.latency_ms_p95:.0f} |", flush=True)


if __name__ == "__main__":
    main()
