"""Generation benchmark: first-token latency, tokens/s, and `ask` latency split by node.

    .venv/bin/python bench/generate.py [--threads 2] [--data-dir DIR] [--json]

Without --data-dir the sample `data/` is ingested into a temporary directory first. Every
question of bench/sample_questions.json is asked once with the answer cache off, after one
warm-up ask (model loading, reported separately). First token: from the model call's start
to its first streamed token (prompt processing). Tokens/s: the tokens after the first over
the time after it (decoding).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def token_timer() -> Any:
    """A callback recording when the model call starts, each token arrives, and it ends."""
    from langchain_core.callbacks import BaseCallbackHandler

    class TokenTimer(BaseCallbackHandler):
        def __init__(self) -> None:
            self.start = 0.0
            self.tokens: list[float] = []

        def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
            self.start, self.tokens = time.perf_counter(), []

        on_chat_model_start = on_llm_start  # type: ignore[assignment]

        def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
            self.tokens.append(time.perf_counter())

    return TokenTimer()


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--data-dir", type=Path, help="an ingested data dir (default: data/)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="docent-bench-"))
    from app.ask import ask
    from core.resources import Resources
    from core.run_stats import RunStats
    from core.settings import Settings
    from graphs.context import Context

    settings = Settings(data_dir=data_dir, answer_cache=False, llm_threads=args.threads)
    resources = Resources(settings)
    if args.data_dir is None:
        from ingest.pipeline import ingest_paths

        ingest_paths([ROOT / "data"], settings)
    questions = [q["question"] for q in json.loads((ROOT / "bench/sample_questions.json")
                                                   .read_text(encoding="utf-8"))]
    started = time.perf_counter()
    ask(questions[0], Context(resources=resources))
    warmup = time.perf_counter() - started

    first_token, tokens_per_s, total, nodes = [], [], [], {}  # type: ignore[var-annotated]
    for question in questions:
        timer, stats = token_timer(), RunStats()
        started = time.perf_counter()
        ask(question, Context(resources=resources), callbacks=[timer, stats])
        total.append(time.perf_counter() - started)
        for node, node_stats in stats.nodes.items():
            nodes.setdefault(node, []).append(node_stats.seconds)
        if timer.tokens:
            first_token.append(timer.tokens[0] - timer.start)
        if len(timer.tokens) > 1:
            tokens_per_s.append((len(timer.tokens) - 1) / (timer.tokens[-1] - timer.tokens[0]))

    report = {
        "model": resources.model().label, "threads": args.threads, "questions": len(questions),
        "warmup_ask_s": round(warmup, 2),
        "first_token_s_median": median(first_token),
        "tokens_per_s_median": round(statistics.median(tokens_per_s), 1) if tokens_per_s else None,
        "ask_s_median": median(total),
        "node_s_median": {node: median(values) for node, values in nodes.items()},
        "answered_by_model": len(first_token),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:24s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
