"""Answer latency as a user feels it: a cold `ask` (a new process), the same with a
`docent serve` running (app/remote_ask.py), warm asks in one process (p50/p95, split by
node), first token and tokens/s.

    .venv/bin/python bench/generate.py [--threads 2] [--cold 3] [--data-dir DIR] [--json]

Without --data-dir the sample `data/` is ingested into a temporary directory first. Cold:
`python -m app ask` run `--cold` times on different questions, wall time of the whole
process. Warm: every question of bench/sample_questions.json asked once with the answer
cache off, after one warm-up ask (model loading, reported separately). First token: from
the model call's start to its first streamed token (prompt processing). Tokens/s: the
tokens after the first over the time after it (decoding). Say the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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

        on_chat_model_start = on_llm_start

        def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
            self.tokens.append(time.perf_counter())

    return TokenTimer()


def bench_env(data_dir: Path, threads: int) -> dict[str, str]:
    return {**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_ANSWER_CACHE": "false",
            "DOCENT_LLM_THREADS": str(threads)}


def cold_ask(question: str, data_dir: Path, threads: int) -> float:
    """Wall seconds of one `python -m app ask` process, start to exit."""
    env = bench_env(data_dir, threads)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app", "ask", question], cwd=ROOT, env=env,
                   capture_output=True, check=True)
    return time.perf_counter() - started


def up(url: str | None) -> bool:
    import httpx

    try:
        return url is not None and not httpx.get(f"{url}/health").is_error
    except httpx.TransportError:
        return False


def asks_with_server(questions: list[str], data_dir: Path, threads: int) -> list[float]:
    """`cold_ask` of each question while a `docent serve` of `data_dir` runs (warmed up by
    one ask first, so its model is loaded)."""
    from app.remote_ask import running_server
    from tests.helpers import free_port

    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(free_port())],
                              cwd=ROOT, env=bench_env(data_dir, threads),
                              stdout=subprocess.DEVNULL)
    try:
        while not up(running_server(data_dir)):
            time.sleep(0.2)
        cold_ask("What is this about?", data_dir, threads)
        return [cold_ask(question, data_dir, threads) for question in questions]
    finally:
        server.terminate()
        server.wait()


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    parser.add_argument("--data-dir", type=Path, help="an ingested data dir (default: data/)")
    parser.add_argument("--cold", type=int, default=3, help="cold `ask` processes to time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="docent-bench-"))
    from core.resources import Resources
    from core.run_stats import RunStats
    from core.settings import Settings
    from graphs.context import Context
    from graphs.runner import answer

    settings = Settings(data_dir=data_dir, answer_cache=False, llm_threads=args.threads)
    resources = Resources(settings)
    if args.data_dir is None:
        from ingest.pipeline import ingest_paths

        ingest_paths([ROOT / "data"], settings)
    questions = [q["question"] for q in json.loads((ROOT / "bench/sample_questions.json")
                                                   .read_text(encoding="utf-8"))]
    cold = [cold_ask(question, data_dir, args.threads) for question in questions[:args.cold]]
    served = asks_with_server(questions[:args.cold], data_dir, args.threads)
    started = time.perf_counter()
    answer(questions[0], Context(resources=resources))
    warmup = time.perf_counter() - started

    first_token, tokens_per_s, total, nodes = [], [], [], {}  # type: ignore[var-annotated]
    for question in questions:
        timer, stats = token_timer(), RunStats()
        started = time.perf_counter()
        answer(question, Context(resources=resources), callbacks=[timer, stats])
        total.append(time.perf_counter() - started)
        for node, node_stats in stats.nodes.items():
            nodes.setdefault(node, []).append(node_stats.seconds)
        if timer.tokens:
            first_token.append(timer.tokens[0] - timer.start)
        if len(timer.tokens) > 1:
            tokens_per_s.append((len(timer.tokens) - 1) / (timer.tokens[-1] - timer.tokens[0]))

    report = {
        "model": resources.model().label, "threads": args.threads, "questions": len(questions),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "cold_ask_s_median": median(cold),
        "cold_ask_with_serve_s_median": median(served),
        "warmup_ask_s": round(warmup, 2),
        "first_token_s_median": median(first_token),
        "tokens_per_s_median": round(statistics.median(tokens_per_s), 1) if tokens_per_s else None,
        "ask_s_median": median(total),
        "ask_s_p95": round(sorted(total)[max(0, int(len(total) * 0.95 + 0.5) - 1)], 3),
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
