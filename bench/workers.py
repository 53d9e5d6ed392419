"""Ingest throughput on PostgreSQL, 1 worker against 2, each pinned to a CPU of its own.

Each worker is a process under `taskset -c 0` (and `-c 1`) running what `docent ingest`
runs with DOCENT_DATABASE_URL set (`ingest.workers.ingest_shared`), on the same corpus:
SQuAD's even dev paragraphs (../shared/eval/squad-dev-even), written as files of
`--per-file` paragraphs.

Each worker loads its model, then waits; the clock starts when all are told to go and
stops when the last one is done, so the figure is the queue's steady throughput, not
Python's start-up. Each run writes into a collection of its own, after the database's
embedding cache is emptied, so no run finds its embeddings in a cache another one filled
(it empties a scratch database's cache: run it on one, `make postgres`). Prints
chunks/s for each run, their ratio (issue #26's target: at least 1.6) and the load
average before and after. Run it on a scratch database (`make postgres`): its two
collections (bench-workers-…) stay there.

    DOCENT_DATABASE_URL=postgresql://… python bench/workers.py [--per-file N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "eval" / "squad-dev-even" / "corpus.jsonl"


def _arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-file", type=int, default=8, metavar="N",
                        help="paragraphs per file (default 8: about 130 files)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--worker", type=Path, metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.per_file < 1:
        parser.error("--per-file must be at least 1")
    return args


def write_corpus(folder: Path, per_file: int, run: str) -> int:
    """The paragraphs as text files, `per_file` each, in article order, each file marked
    with the run's name; returns how many files."""
    paragraphs = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    folder.mkdir(parents=True)
    files = 0
    for start in range(0, len(paragraphs), per_file):
        group = paragraphs[start:start + per_file]
        text = "\n\n".join(p["text"] for p in group)
        (folder / f"{start:05}-{group[0]['title'][:40]}.txt").write_text(
            f"{run}\n\n{text}\n", encoding="utf-8")
        files += 1
    return files


def work(folder: Path) -> int:
    """A worker (run by `run` under taskset): load, say ready, wait for go, ingest the
    folder through the shared queue, print its figures as JSON."""
    from core.embeddings import embeddings_from
    from core.settings import Settings
    from ingest.workers import ingest_shared

    settings = Settings()
    embeddings_from(settings).embed_documents(["warm-up"])
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    report = ingest_shared([folder], settings)
    print(json.dumps({"started": started, "ended": time.time(), "files": report.files,
                      "added": report.added, "failed": len(report.failed)}), flush=True)
    return 0 if not report.failed else 1


@dataclass
class Run:
    """One ingest of the corpus: by how many workers, in how long, and each one's share."""

    workers: int
    seconds: float
    chunks: int
    files_per_worker: list[int]

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds


def run(folder: Path, cpus: list[int], url: str, scratch: Path) -> Run:
    """Ingest `folder` with one pinned worker per CPU in `cpus`, into a new collection."""
    collection = f"bench-workers-{uuid.uuid4().hex[:8]}"
    workers = []
    for cpu in cpus:
        env = {**os.environ, "DOCENT_DATABASE_URL": url, "DOCENT_COLLECTION": collection,
               "DOCENT_DATA_DIR": str(scratch / f"data-{collection}-{cpu}"),
               # one CPU each: torch's and the tokenizers' threads stay on it
               "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
               "PYTHONPATH": str(ROOT)}
        workers.append(subprocess.Popen(
            ["taskset", "-c", str(cpu), sys.executable, __file__, "--worker", str(folder)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env))
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    go = time.time()
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    figures = []
    for worker in workers:
        out, _ = worker.communicate()
        if worker.returncode != 0:
            raise SystemExit(f"bench: a worker failed (exit {worker.returncode}): {out}")
        figures.append(json.loads(out))
    return Run(len(cpus), max(f["ended"] for f in figures) - go,
               sum(f["added"] for f in figures), [f["files"] for f in figures])


def empty_embedding_cache(url: str) -> None:
    """Forget every cached vector: the run's name marks each file's first sentence only, and
    the second run found the first run's other sentences there (6.7× "faster")."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE docent_embedding_cache")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.worker:
        return work(args.worker)
    url = os.environ.get("DOCENT_DATABASE_URL")
    if not url:
        print("bench: set DOCENT_DATABASE_URL (make postgres prints one)", file=sys.stderr)
        return 2
    if not CORPUS.exists():
        print(f"bench: {CORPUS} not found (the benchmarks live in ../shared/eval)",
              file=sys.stderr)
        return 2
    if len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"):
        print("bench: needs 2 CPUs and taskset (util-linux)", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        runs = []
        for cpus in ([0], [0, 1]):
            folder = Path(scratch) / f"corpus-{len(cpus)}"
            files = write_corpus(folder, args.per_file, f"run {len(cpus)}")
            empty_embedding_cache(url)
            runs.append(run(folder, cpus, url, Path(scratch)))
    ratio = runs[1].chunks_per_s / runs[0].chunks_per_s
    load_after = os.getloadavg()
    if args.json:
        print(json.dumps({
            "files": files, "per_file": args.per_file, "ratio": round(ratio, 2),
            "runs": [{**asdict(r), "chunks_per_s": round(r.chunks_per_s, 1)} for r in runs],
            "load_before": load_before, "load_after": load_after}))
    else:
        for r in runs:
            print(f"{r.workers} worker(s): {r.chunks} chunks of {files} files in "
                  f"{r.seconds:.1f} s = {r.chunks_per_s:.1f} chunks/s "
                  f"(files per worker {r.files_per_worker})")
        print(f"ratio 2/1: {ratio:.2f} (target ≥ 1.6); load average before "
              f"{' '.join(f'{x:.2f}' for x in load_before)}, "
              f"after {' '.join(f'{x:.2f}' for x in load_after)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
