"""How soon a change is searchable under `ingest --watch`, with the real embedding model.

Copies the first FILES documents of FOLDER (default ../shared/docs/html-en) to a scratch
folder, starts the watcher on it (first pass timed), then makes CHANGES changes one at a
time, cycling through: a new note, an edit of it, an edit of a copied document, the
note's deletion. Each is timed from the write to the moment it is searchable (chunks,
records and sentence vectors committed, as the watcher's own scan of the store shows it),
and to the moment the BM25 index has caught up too (crash marker gone). Prints the
medians and the worst, and the load.

    python bench/watch.py [FOLDER] [--files 20] [--changes 12] [--poll] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.watch import Watcher

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMEOUT_S = 300.0  # for one change; the first pass may take longer


def wait_until(condition: Callable[[], bool]) -> float:
    """Seconds until `condition()` holds (checked every 10 ms)."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > TIMEOUT_S:
            raise TimeoutError("the watcher did not catch up")
        time.sleep(0.01)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "docs" / "html-en")
    parser.add_argument("--files", type=int, default=20, help="documents copied from FOLDER")
    parser.add_argument("--changes", type=int, default=12, help="changes timed")
    parser.add_argument("--poll", action="store_true", help="polling instead of file events")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"bench: {args.folder} not found (the real documents live in ../shared/docs)",
              file=sys.stderr)
        return 2

    from core.embeddings import embeddings_from
    from core.settings import Settings
    from core.tuning import TUNING
    from ingest.crash_marker import INCOMPLETE
    from ingest.loaders import LOADERS
    from ingest.watch import Watcher, WatchOptions

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "docs"
        folder.mkdir()
        documents = sorted(p for p in args.folder.rglob("*") if p.suffix in LOADERS)
        for n, document in enumerate(documents[:args.files]):
            shutil.copy(document, folder / f"{n:03}-{document.name}")
        settings = Settings(_env_file=None, data_dir=Path(scratch) / "data")
        embeddings_from(settings).embed_documents(["warm-up"])  # load time is not sync time

        out = io.StringIO()
        watcher = Watcher([folder], settings, WatchOptions(poll=args.poll), out=out)
        def say(line: str) -> None:
            out.write(line + "\n")
            print(line, file=sys.stderr, flush=True)

        watcher.say = say  # type: ignore[method-assign]
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        started = time.perf_counter()
        while "watching" not in out.getvalue():  # the first pass: a full ingest
            if not thread.is_alive():
                print(f"bench: the watcher stopped:\n{out.getvalue()}", file=sys.stderr)
                return 1
            time.sleep(0.1)
        first_pass_s = time.perf_counter() - started

        note = folder / "note.md"
        edited = sorted(folder.iterdir())[0]
        timings: dict[str, list[float]] = {}
        keyword: list[float] = []  # to the BM25 index caught up as well
        for n in range(args.changes):
            kind = ("add", "edit", "edit document", "delete")[n % 4]
            if kind == "delete":
                note.unlink()
            elif kind == "edit document":
                edited.write_text(edited.read_text() + f"\nAppended line {n}.\n")
            else:
                note.write_text(f"Change {n}: the zephyr{n} release ships on day {n}.\n")
            path = note if kind != "edit document" else edited
            wanted = None if kind == "delete" else {_digest(path)}
            try:
                timings.setdefault(kind, []).append(wait_until(partial(
                    _applied, watcher, str(path), wanted)))
                keyword.append(timings[kind][-1] + wait_until(
                    lambda: not (settings.data_dir / INCOMPLETE).exists()))
            except TimeoutError:
                print(f"bench: change {n} ({kind}) not applied in {TIMEOUT_S:.0f} s:\n"
                      f"{out.getvalue()[-5000:]}", file=sys.stderr)
                return 1
            time.sleep(TUNING.watch_debounce_s)  # the next change is a batch of its own
        watcher.stop()
        thread.join()

    every = [t for values in timings.values() for t in values]
    figures = {
        "mode": "polling" if args.poll else "file events",
        "documents": args.files, "index_chunks": sum(c for _, c in watcher.stored.values()),
        "first_pass_s": round(first_pass_s, 1), "changes": len(every),
        "median_s": round(statistics.median(every), 2), "worst_s": round(max(every), 2),
        "median_by_kind_s": {k: round(statistics.median(v), 2) for k, v in timings.items()},
        "keyword_median_s": round(statistics.median(keyword), 2),
        "keyword_worst_s": round(max(keyword), 2),
        "debounce_s": TUNING.watch_debounce_s, "load": round(os.getloadavg()[0], 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:<18}{value}")
    return 0


def _applied(watcher: Watcher, source: str, hashes: set[str] | None) -> bool:
    """Whether the watcher's last scan holds `source` with `hashes` (None: not at all)."""
    if hashes is None:
        return source not in watcher.stored
    return watcher.stored.get(source, (set(), 0))[0] == hashes


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
