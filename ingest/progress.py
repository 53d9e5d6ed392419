"""Progress of an ingest: a bar on a terminal (files read, texts embedded), a heartbeat
line every few seconds anywhere else (a pipe, a log file, `--json` runs)."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

from langchain_core.embeddings import Embeddings


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
