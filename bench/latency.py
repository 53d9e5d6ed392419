"""Retrieve + select latency (and quality) at about 10k chunks: the SQuAD questions asked of
a store that holds the SQuAD passages plus every page of ../shared/docs as distractors.

    .venv/bin/python bench/latency.py [--limit 300] [--seed 1] [--chunk-size 450]

The store is built once under DOCENT_DATA_DIR/eval/<name> (embeddings cached), with
`--chunk-size` (overlap a fifth of it) so that these real documents make about 10k
chunks. Every question goes through the real retrieve → select path, after one warm-up
question; the table gives p50/p95 per mode next to BM25 alone, in one run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.benchmarks import Benchmark, Passage, load_jsonl_benchmark, sample  # noqa: E402
from app.eval import build_store, evaluate  # noqa: E402
from core.settings import Settings  # noqa: E402
from graphs.context import Context  # noqa: E402
from ingest.discover import discover  # noqa: E402
from ingest.loaders import LoadError, load_file  # noqa: E402


def distractors(folder: Path) -> list[Passage]:
    """Every loadable page or document under `folder`, one passage each."""
    passages = []
    for path in discover([folder]):
        try:
            docs = load_file(path)
        except LoadError:
            continue
        passages += [Passage(f"{path}:{n}", path.name, doc.page_content)
                     for n, doc in enumerate(docs) if doc.page_content.strip()]
    return passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="questions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk-size", type=int, default=450)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    squad = args.shared / "eval" / "squad-dev-even"
    docs = args.shared / "docs"
    if not squad.is_dir() or not docs.is_dir():
        sys.exit(f"bench: ../shared is missing under {args.shared} (see ../shared/README.md)")
    questions = sample(load_jsonl_benchmark(squad / "corpus.jsonl", squad / "queries.jsonl"),
                       args.limit, None, args.seed)
    bench = Benchmark(f"latency-{args.chunk_size}",
                      questions.passages + distractors(docs), questions.queries)
    settings = Settings().model_copy(update={
        "chunk_size": args.chunk_size, "chunk_overlap": args.chunk_size // 5})
    store = build_store(settings, bench)
    chunks = store.store().count()
    print(f"{chunks} chunks ({len(questions.passages)} SQuAD passages + "
          f"{len(bench.passages) - len(questions.passages)} pages of ../shared/docs, "
          f"chunk size {args.chunk_size}), {len(bench.queries)} SQuAD questions\n")
    print("| mode | recall@5 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|")
    for mode, ctx, select in [("BM25 only", Context(dense_weight=0.0), False),
                              ("dense only", Context(keyword_weight=0.0), False),
                              ("hybrid + selection (default path)", Context(), True)]:
        s = evaluate(store, bench, ctx, select=select)
        print(f"| {mode} | {s.recall_at_5:.3f} | {s.mrr_at_10:.3f} | "
              f"{s.latency_ms_p50:.0f} | {s.latency_ms_p95:.0f} |", flush=True)


if __name__ == "__main__":
    main()
