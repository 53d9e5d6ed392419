"""Progress of an ingest: a bar on a terminal (files read, texts embedded), a heartbeat
line every few seconds anywhere else (a pipe, a log file, `--json` runs); and, for a
worker of the shared queue (ingest/workers.py), a line per file it finishes and its share
of the queue's work at the end."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from core.index.postgres.jobs import Share
    from ingest.report import IngestReport


def progress_bar(total: int | None, unit: str, desc: str) -> Any:
    """A tqdm bar on stderr, shown only when stderr is a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, leave=False,
                disable=not sys.stderr.isatty())


class ProgressEmbeddings(Embeddings):
    """Embeds each distinct text of a batch once, advancing a progress bar as it goes."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.bar = progress_bar(None, "text", "embedding")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        unique = list(dict.fromkeys(texts))
        vectors = dict(zip(unique, self.inner.embed_documents(unique), strict=True))
        self.bar.update(len(texts))
        return [vectors[text] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


HEARTBEAT_S = 5.0  # a 10 MB one-<pre> HTML page took 44 s to read with no output at all


class Heartbeat:
    """While an ingest runs and stderr is not a terminal (so no bar shows), one line on
    stderr every `interval` seconds from the first file on: files read so far and the one
    being read. A thread writes it, so a single slow file or embedding batch still gets
    its lines."""

    def __init__(self, total: int, interval: float = HEARTBEAT_S) -> None:
        self.total, self.interval = total, interval
        self.done, self.current = 0, ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def reading(self, source: str) -> None:
        self.current = source

    def read(self) -> None:
        self.done += 1

    def line(self) -> str:
        now = f"reading {self.current}" if self.done < self.total else "embedding and storing"
        return f"docent: ingest: {self.done}/{self.total} files read; {now}"

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            if self.current:  # silent until the store is open: its errors stay one line
                print(self.line(), file=sys.stderr, flush=True)

    def __enter__(self) -> Heartbeat:
        if not sys.stderr.isatty():
            self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def progress_line(text: str) -> None:
    """One line of an ingest's progress on stderr (stdout keeps the report)."""
    print(f"docent: ingest: {text}", file=sys.stderr, flush=True)


def file_done_line(source: str, report: IngestReport) -> str:
    """What one file's ingest did: its chunks added, updated, deleted and left unchanged,
    or why it failed."""
    if report.failed:
        return f"{source}: failed: {report.failed[0].error}"
    figures = [f"{count} {what}" for count, what in (
        (report.added, "added"), (report.updated, "updated"), (report.deleted, "deleted"),
        (report.skipped, "unchanged")) if count]
    return f"{source}: chunks " + (", ".join(figures) if figures else "none")


def shares_line(mine: Share, others: Share) -> str:
    """This worker's share of the queue's work while it ran, against the other workers'."""
    def did(share: Share) -> str:
        failed = f", {share.failed} failed" if share.failed else ""
        return f"{share.files} files ({share.written} chunks written{failed})"

    peers = (f"{others.workers} other worker{'s' if others.workers != 1 else ''} "
             f"{did(others)}" if others.workers else "no other worker took any")
    return f"queue empty: this worker {did(mine)}; meanwhile {peers}"
