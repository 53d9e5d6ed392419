"""Soak: many retrieve+select calls and full asks in one process; RSS growth and latency drift.

    .venv/bin/python bench/soak.py [--retrievals 1000] [--asks 50] [--data-dir DIR] [--json]

Without --data-dir the sample `data/` is ingested into a temporary directory first. The
answer cache is switched off so every ask runs the model. RSS is measured after a warm-up
(models loaded, first calls done); growth is relative to that baseline (target ≤ 10 %).
Drift compares the median latency of the last 10 % of calls with the first 10 %.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    """Resident set size of this process (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def drift(latencies: list[float]) -> dict[str, float]:
    tenth = max(len(latencies) // 10, 1)
    first, last = statistics.median(latencies[:tenth]), statistics.median(latencies[-tenth:])
    return {"first_median_ms": round(first * 1000, 1), "last_median_ms": round(last * 1000, 1),
            "drift_pct": round((last / first - 1) * 100, 1)}


def timed(call: Callable[[str], object], questions: list[str], n: int) -> list[float]:
    latencies = []
    for i in range(n):
        start = time.perf_counter()
        call(questions[i % len(questions)])
        latencies.append(time.perf_counter() - start)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--retrievals", type=int, default=1000)
    parser.add_argument("--asks", type=int, default=50)
    parser.add_argument("--data-dir", type=Path, help="an ingested data dir (default: data/)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from core.resources import Resources
    from core.settings import Settings

    if args.data_dir is None:
        from ingest.pipeline import ingest_paths

        args.data_dir = Path(tempfile.mkdtemp(prefix="docent-soak-")) / "data"
        ingest_paths([ROOT / "data"], Settings(data_dir=args.data_dir))
    resources = Resources(Settings(data_dir=args.data_dir, answer_cache=False))

    from langgraph.runtime import Runtime

    from graphs.context import Context
    from graphs.nodes import retrieve, select
    from graphs.runner import answer

    questions = [q["question"] for q in
                 json.loads((ROOT / "bench" / "sample_questions.json").read_text())]
    context = Context(resources=resources)
    runtime = Runtime(context=context)

    def retrieve_and_select(question: str) -> object:
        state = {"question": question, **retrieve({"question": question}, runtime)}
        return select(state, runtime)  # type: ignore[arg-type]

    def full_ask(question: str) -> object:
        return answer(question, context)

    timed(retrieve_and_select, questions, 20)  # warm-up: models, caches, first allocations
    timed(full_ask, questions, 2)
    gc.collect()
    baseline = rss_mb()
    retrieval = timed(retrieve_and_select, questions, args.retrievals)
    gc.collect()
    after_retrieval = rss_mb()
    asks = timed(full_ask, questions, args.asks)
    gc.collect()
    after_asks = rss_mb()

    report = {
        "retrievals": args.retrievals, "asks": args.asks,
        "rss_mb": {"baseline": round(baseline, 1), "after_retrievals": round(after_retrieval, 1),
                   "after_asks": round(after_asks, 1)},
        "rss_growth_pct": round((after_asks / baseline - 1) * 100, 2),
        "retrieve_select_latency": drift(retrieval),
        "ask_latency": drift(asks),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"RSS: {baseline:.0f} MB after warm-up → {after_retrieval:.0f} MB after "
              f"{args.retrievals} retrieve+select → {after_asks:.0f} MB after {args.asks} asks "
              f"({report['rss_growth_pct']:+.1f} %, target ≤ 10 %)")
        for name in ("retrieve_select_latency", "ask_latency"):
            figures = report[name]
            print(f"{name}: median {figures['first_median_ms']} ms (first 10 %) → "
                  f"{figures['last_median_ms']} ms (last 10 %), drift {figures['drift_pct']:+} %")
    return 0 if report["rss_growth_pct"] <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
