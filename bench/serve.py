"""`docent serve` under load, with the default model: what the API adds to an answer's
first token, whether 8 concurrent clients are all answered, and the server's memory
over many requests.

    .venv/bin/python bench/serve.py [--data-dir DIR] [--runs 10] [--clients 8]
                                    [--requests 500] [--json]

Without --data-dir the sample `data/` is ingested into a temporary directory first. The
server is `python -m app serve` on a free port with the answer cache off.
- first token / total: each question of bench/sample_questions.json (cycled, --runs of
  them), streamed through POST /v1/chat/completions (request sent → first content piece,
  which is the checked answer, → [DONE]) and through `graphs.runner.answer` in this process
  (call → its `Checked` event, → return), alternating, after one warm-up each;
- the API's own cost: the same first-token comparison (4 × --runs) with the tests' fake
  model and embedding (tests/served.py), where the answer path takes milliseconds;
- concurrency: --clients requests sent at once (non-streamed); all must be answered 200;
- memory: a second server, with the answer cache on so that --requests answers fit in
  minutes on a busy machine (each request still embeds the question, retrieves, runs the
  graph and returns through the API; only the model's text comes from the cache): its RSS
  (/proc) after one round of the questions, then after --requests more.
Say the machine's load (printed) next to any figure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def api_answer(client: Any, question: str) -> tuple[float, float]:
    """(seconds to the first content piece, seconds to [DONE]) of one streamed answer."""
    started = time.perf_counter()
    first = 0.0
    body = {"model": "docent", "stream": True, "messages": [{"role": "user",
                                                             "content": question}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not first and line.startswith("data: {") and '"content": "' in line \
                    and '"content": ""' not in line:
                first = time.perf_counter() - started
    return first, time.perf_counter() - started


def inprocess_answer(question: str, context: Any) -> tuple[float, float]:
    """Seconds to the checked answer's text and to the end of the run, in-process."""
    from graphs.answer import Checked, Event
    from graphs.runner import answer

    first = 0.0

    def heard(event: Event) -> None:
        nonlocal first
        if isinstance(event, Checked) and not first:
            first = time.perf_counter()

    started = time.perf_counter()
    answer(question, context, heard)
    return first - started, time.perf_counter() - started


def concurrent_answers(url: str, questions: list[str], clients: int) -> dict[str, Any]:
    import httpx

    statuses: list[int] = []
    lock = threading.Lock()

    def one(question: str) -> None:
        response = httpx.post(f"{url}/v1/chat/completions", timeout=900, json={
            "model": "docent", "messages": [{"role": "user", "content": question}]})
        answered = response.status_code == 200 and bool(
            response.json()["choices"][0]["message"]["content"])
        with lock:
            statuses.append(response.status_code if answered else -1)

    threads = [threading.Thread(target=one, args=(questions[i % len(questions)],))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"clients": clients, "answered": statuses.count(200), "wall_s": round(wall, 2),
            "answers_per_s": round(clients / wall, 3)}


def start_server(answer_cache: bool) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m app serve` on a free port (DOCENT_DATA_DIR from the environment)."""
    import httpx

    port = free_port()
    env = {**os.environ, "DOCENT_ANSWER_CACHE": str(answer_cache).lower()}
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            httpx.get(f"{url}/health")
            return server, url
        except httpx.TransportError:
            time.sleep(0.2)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def ask_api(client: Any, question: str) -> None:
    client.post("/v1/chat/completions", json={"model": "docent", "messages": [
        {"role": "user", "content": question}]}).raise_for_status()


def api_overhead(runs: int) -> dict[str, float]:
    """First token, API against in-process, with the tests' fake model and embedding
    (tests/served.py): the answer path costs milliseconds, so what remains is the API's."""
    import httpx

    from app.server.factory import create_app
    from core.resources import Resources
    from graphs.context import Context
    from tests.fakes import HashingEmbeddings, fake_model
    from tests.served import API_KEY, QuestionKeyedChat, fake_store_settings, run_uvicorn

    question = "How many days of paid annual leave do full-time employees get?"
    with tempfile.TemporaryDirectory() as scratch:
        resources = Resources(fake_store_settings(Path(scratch)), embeddings=HashingEmbeddings(),
                              model=fake_model(QuestionKeyedChat(), style="chat",
                                               family="gemma3"))
        context = Context(resources=resources)
        for url in run_uvicorn(create_app(resources)):
            with httpx.Client(base_url=url, timeout=60,
                              headers={"authorization": f"Bearer {API_KEY}"}) as client:
                api_answer(client, question)
                inprocess_answer(question, context)
                api, local = [], []
                for _ in range(runs):
                    api.append(api_answer(client, question)[0])
                    local.append(inprocess_answer(question, context)[0])
    return {"api": median_ms(api), "in_process": median_ms(local)}


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def main() -> int:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an ingested data dir (default: data/)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["DOCENT_ANSWER_CACHE"] = "false"
    os.environ["DOCENT_API_KEY"] = ""

    from core.resources import Resources
    from core.settings import Settings
    from graphs.context import Context

    scratch = tempfile.TemporaryDirectory()
    data_dir = args.data_dir
    if data_dir is None:
        from ingest.pipeline import ingest_paths

        data_dir = Path(scratch.name) / "data"
        ingest_paths([ROOT / "data"], Settings(data_dir=data_dir))
    os.environ["DOCENT_DATA_DIR"] = str(data_dir)
    questions = [q["question"] for q in json.loads(
        (ROOT / "bench" / "sample_questions.json").read_text())]

    overhead = api_overhead(4 * args.runs)
    server, url = start_server(answer_cache=False)
    try:
        context = Context(resources=Resources(Settings()))
        with httpx.Client(base_url=url, timeout=900) as client:
            api_answer(client, questions[0])  # warm-up: the server loads its models
            inprocess_answer(questions[0], context)
            api, local = [], []
            for n in range(args.runs):
                question = questions[n % len(questions)]
                api.append(api_answer(client, question))
                local.append(inprocess_answer(question, context))
            concurrency = concurrent_answers(url, questions, args.clients)
    finally:
        stop(server)
    server, url = start_server(answer_cache=True)
    try:
        with httpx.Client(base_url=url, timeout=900) as client:
            for question in questions:
                ask_api(client, question)
            rss_before = rss_mb(server.pid)
            started = time.perf_counter()
            for n in range(args.requests):
                ask_api(client, questions[n % len(questions)])
            soak_s = time.perf_counter() - started
            rss_after = rss_mb(server.pid)
    finally:
        stop(server)
        scratch.cleanup()

    figures = {
        "load_avg": os.getloadavg(), "cores": os.cpu_count(), "runs": args.runs,
        "first_token_ms": {"api": median_ms([a for a, _ in api]),
                           "in_process": median_ms([a for a, _ in local])},
        "total_ms": {"api": median_ms([t for _, t in api]),
                     "in_process": median_ms([t for _, t in local])},
        "first_token_ms_fake_model": overhead,
        "concurrency": concurrency,
        "rss_mb": {"before": round(rss_before, 1), "after": round(rss_after, 1),
                   "requests": args.requests, "growth_pct": round(
                       100 * (rss_after - rss_before) / rss_before, 1),
                   "soak_s": round(soak_s, 1)},
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    first, total = figures["first_token_ms"], figures["total_ms"]
    print(f"load {figures['load_avg']} on {figures['cores']} cores; medians of {args.runs}")
    print(f"first token   API {first['api']} ms   in-process {first['in_process']} ms   "
          f"(API adds {first['api'] - first['in_process']:+.1f} ms)")
    print(f"total         API {total['api']} ms   in-process {total['in_process']} ms")
    print(f"first token, fake model ({4 * args.runs} runs): API {overhead['api']} ms   "
          f"in-process {overhead['in_process']} ms "
          f"(API adds {overhead['api'] - overhead['in_process']:+.1f} ms)")
    print(f"{concurrency['clients']} concurrent clients: {concurrency['answered']} answered "
          f"in {concurrency['wall_s']} s ({concurrency['answers_per_s']} answers/s)")
    rss = figures["rss_mb"]
    print(f"server RSS {rss['before']} MB → {rss['after']} MB after {rss['requests']} more "
          f"requests, answer cache on ({rss['growth_pct']:+.1f} %, {rss['soak_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
