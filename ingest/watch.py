"""`ingest --watch`: keep the index in step with folders.

File-system events (watchdog: inotify, FSEvents…; polling where those are unavailable) only
say which paths were touched. After a quiet moment (`TUNING.watch_debounce_s`) the touched
paths are looked at as they are now: files that exist go through the normal, idempotent
pipeline (an unchanged file is skipped, a changed one replaced), and paths that are gone
go through its prune. So event order, duplicate events and renames need no special
handling, and a restart only has to run a normal ingest with `--prune` first.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from core.errors import DocentError
from core.tuning import TUNING
from ingest.completeness import Stored, stored_files
from ingest.discover import discover, identity, matches
from ingest.loaders import LOADERS
from ingest.lock import LOCK_WAIT_S, watch_lock
from ingest.pipeline import Item, catch_up_keywords, ingest_items, ingest_paths
from ingest.report import IngestReport, Problem
from ingest.source_policy import (
    MISSING,
    OUTSIDE,
    leads_outside,
    max_file_bytes,
    source_of,
    too_large,
)
from ingest.watch_report import changes, progress_line
from ingest.web import is_url, redact

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from core.settings import Settings

# Files editors, browsers and downloaders write while saving: never documents. vim writes
# `4913` to test a folder, `.file.swp` and `file~`; emacs `#file#` and `.#file`; Office
# `~$file.docx`; LibreOffice `.~lock.file#`; JetBrains `file___jb_tmp___`; Chrome and
# Firefox `.crdownload` and `.part`. Hidden names (a leading dot) are skipped anyway.
TEMPORARY = ("4913", "*~", "~$*", "#*#", ".*", "*.swp", "*.swo", "*.swx", "*.tmp",
             "*.temp", "*.crdownload", "*.part", "*.partial", "*.download", "*.kate-swp",
             "*___jb_tmp___", "*___jb_old___")
# events that mean nothing changed (watchdog reports opens and reads too); when events
# were lost (inotify's queue overflowed) the watched folder itself comes as touched, so
# the batch reads it all again (unchanged files are skipped by their hash)
QUIET_EVENTS = {"opened", "closed_no_write"}
FOLDER_NOISE = {"modified", "attrib", "closed"}


@dataclass(frozen=True)
class WatchOptions:
    """What the watch does besides its paths (the `ingest` flags it shares)."""

    poll: bool = False
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    follow_links: bool = False
    reindex: bool = False
    wait_s: float = LOCK_WAIT_S
    as_json: bool = False
    debounce_s: float = TUNING.watch_debounce_s
    max_delay_s: float = TUNING.watch_max_delay_s
    poll_s: float = TUNING.watch_poll_s


class PendingPaths:
    """Paths touched by events, handed out in debounced batches."""

    def __init__(self) -> None:
        self._paths: set[Path] = set()
        self._first = self._last = 0.0
        self._lock = threading.Condition()

    def add(self, *paths: Path) -> None:
        with self._lock:
            now = time.monotonic()
            if not self._paths:
                self._first = now
            self._paths.update(paths)
            self._last = now
            self._lock.notify_all()

    def take(self, debounce_s: float, max_delay_s: float, stopping: Callable[[], bool]
             ) -> set[Path]:
        """The touched paths once none came for `debounce_s` (at most `max_delay_s` after
        the first); empty when `stopping()` turns true first (checked every 0.1 s)."""
        with self._lock:
            while not stopping():
                now = time.monotonic()
                if self._paths and now >= min(self._last + debounce_s,
                                              self._first + max_delay_s):
                    paths, self._paths = self._paths, set()
                    return paths
                wait = min(self._last + debounce_s - now, 0.1) if self._paths else 0.1
                self._lock.wait(max(wait, 0.001))
            return set()

    def clear(self) -> None:
        with self._lock:
            self._paths = set()

    def __len__(self) -> int:
        with self._lock:
            return len(self._paths)


def _event_handler(pending: PendingPaths) -> Any:
    from watchdog.events import FileSystemEventHandler

    def as_path(raw: str | bytes) -> Path:
        return Path(raw.decode(errors="surrogateescape") if isinstance(raw, bytes) else raw)

    class Touched(FileSystemEventHandler):
        def on_any_event(self, event: Any) -> None:
            # a folder is "modified" by every file made or removed in it (those come
            # too), and a chmod of it changes no file: only its creation, move or
            # deletion is read (and a lost-events signal, which names the watched folder)
            if event.event_type in QUIET_EVENTS or (
                    event.is_directory and event.event_type in FOLDER_NOISE):
                return
            paths = [as_path(event.src_path)]
            if getattr(event, "dest_path", ""):
                paths.append(as_path(event.dest_path))
            pending.add(*paths)

    return Touched()


def _start_observer(roots: Sequence[Path], pending: PendingPaths, options: WatchOptions,
                    say: Callable[[str], None]) -> Any:
    """A started watchdog observer over `roots`: the platform's, else polling (`--poll`,
    or when inotify is missing or out of watches/instances)."""
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    def start(observer: Any) -> Any:
        handler = _event_handler(pending)
        for root in roots:
            # a file is watched through its folder; the batch keeps only that file
            observer.schedule(handler, str(root if root.is_dir() else root.parent),
                              recursive=root.is_dir())
        observer.start()
        return observer

    if not options.poll:
        observer = Observer()
        try:
            return start(observer)
        except OSError as exc:
            observer.stop()
            reason = (exc.strerror or str(exc)).lower()
            say(f"file events unavailable ({reason}): polling every {options.poll_s:g} s "
                "(raise fs.inotify.max_user_watches to avoid this)")
    return start(PollingObserver(timeout=options.poll_s))


@dataclass
class Batch:
    """What one batch touched: files to ingest (with their `source`), paths gone, and
    paths skipped with the reason."""

    items: list[Item] = field(default_factory=list)
    gone: list[Path] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)


class Watcher:
    """The first pass (a normal ingest with prune), then event batches until stopped.

    `stop()` may be called from a signal handler or another thread: the batch being
    applied finishes, paths still waiting are left to the next start's first pass.
    """

    def __init__(self, roots: Sequence[Path], settings: Settings, options: WatchOptions,
                 out: TextIO = sys.stdout, model: Embeddings | None = None) -> None:
        self.settings = settings
        self.options = options
        self.out = out
        self.model = model
        self.given = list(roots)
        self.roots = [root.resolve() for root in roots]
        self.skip_dir = settings.data_dir.resolve()
        self.exclude = (*options.exclude, *TEMPORARY)
        self.pending = PendingPaths()
        self.vanished: set[Path] = set()  # roots found gone (warned once)
        self.folders: dict[Path, tuple[int, int] | None] = {}  # watched folder → identity
        self.max_bytes = max_file_bytes(settings)
        self.too_large: set[Path] = set()  # files over the cap, reported once
        self.stored: Stored = {}
        self.batches = 0
        self.failures = 0  # batches failed in a row: the next waits 2**n s (at most 60)
        self.stopping = False

    def stop(self) -> None:
        self.stopping = True

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def status(self, event: str, message: str) -> None:
        """A line about the watch itself (a JSON object with `--json`)."""
        self.say(json.dumps({"event": event, "message": message}) if self.options.as_json
                 else message)

    def run(self) -> int:
        """The first pass, then batches until `stop()`; returns 0. A path given that does
        not exist, or another watch of the data dir, raises `DocentError` before anything
        is touched."""
        missing = [p for p in self.given if not (p.exists() or p.is_symlink())]
        if missing:
            raise DocentError(f"{missing[0]}: {MISSING}")
        with watch_lock(self.settings):
            self._watch()
        waiting = len(self.pending)
        self.status("stopped", "stopped" + (
            f"; {waiting} waiting change(s) are caught up at the next start" if waiting else ""))
        return 0

    def _watch(self) -> None:
        self.folders = {root: identity(root) for root in self.roots if root.is_dir()}
        observer = self._observe()
        try:
            self.stored = self._scan()
            self._catch_up("caught up", reindex=self.options.reindex)
            mode = "polling" if "Polling" in type(observer).__name__ else "file events"
            self.status("watching", f"watching {len(self.roots)} path(s) ({mode}); "
                        "Ctrl-C stops")
            while not self.stopping:
                touched = self.pending.take(self.options.debounce_s, self.options.max_delay_s,
                                            lambda: self.stopping or bool(self._replaced()))
                if replaced := self._replaced():
                    observer = self._resync(observer, replaced)
                elif touched:
                    self._apply(touched)
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _observe(self) -> Any:
        return _start_observer(self.roots, self.pending, self.options,
                               lambda line: self.status("polling", line))

    def _catch_up(self, what: str, reindex: bool = False) -> None:
        """A normal ingest of the paths with prune: the first pass, and after a resync."""
        started = time.monotonic()
        report = ingest_paths(self.given, self.settings, prune=True, reindex=reindex,
                              include=self.options.include, exclude=self.exclude,
                              follow_links=self.options.follow_links,
                              wait_s=self.options.wait_s, model=self.model)
        self._report(report, what, started)

    def _replaced(self) -> list[Path]:
        """Watched folders whose name now holds another folder (`mv w w.old; mv w.new w`):
        their events still come from the old one, under the watched names; and folders
        found gone that are back (their events meanwhile were dropped)."""
        return [root for root, key in self.folders.items() if (now := identity(root))
                is not None and (now != key or root in self.vanished)]

    def _resync(self, observer: Any, replaced: list[Path]) -> Any:
        """Watch the folders now at the replaced names, drop the old folders' waiting
        events (an edit in `w.old` must not remove `w/…`), and catch up as at the start."""
        observer.stop()
        observer.join(timeout=5)
        self.pending.clear()
        for root in replaced:
            now = identity(root)
            what = "is back" if now == self.folders[root] else "was replaced by another folder"
            self.status("resync", f"{root} {what}: reading it again")
            self.folders[root] = now
            self.vanished.discard(root)
        observer = self._observe()
        self._catch_up("resynced")
        return observer

    def _apply(self, touched: set[Path]) -> None:
        started = time.monotonic()
        batch = self._sort(touched)
        if not (batch.items or batch.gone or batch.skipped):
            return
        report = IngestReport(skipped_files=batch.skipped)
        if batch.items or batch.gone:
            self.status("syncing", f"syncing {len(batch.items)} file(s), "
                        f"{len(batch.gone)} gone")
            try:
                ingest_items(batch.items, self.settings, report, prune_under=batch.gone,
                             wait_s=self.options.wait_s, model=self.model,
                             keyword_later=True, follow_links=self.options.follow_links)
            except Exception as exc:  # another ingest holding the lock, a locked database…
                # the pipeline is safe to stop anywhere: the retry repairs and catches up
                self.failures += 1
                delay = min(2.0 ** self.failures, 60.0)
                self.status("error", f"docent: error: {str(exc) or type(exc).__name__}; "
                            f"retrying {len(touched)} path(s) in {delay:.0f} s")
                self.pending.add(*touched)
                deadline = time.monotonic() + delay
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(0.1)
                return
        self.failures = 0
        sources = {source for _, source in batch.items}
        sources.update(s for gone in batch.gone for s in self._stored_under(gone))
        self._report(report, "synced", started, sources)
        self._catch_up_keywords()

    def _catch_up_keywords(self) -> None:
        """The BM25 rebuild the batch left (its chunks are searchable by dense search
        already); on failure the next batch or start does it."""
        try:
            catch_up_keywords(self.settings, self.model, self.options.wait_s)
        except Exception as exc:  # another ingest holding the lock, a locked database…
            self.status("error", f"docent: error: {str(exc) or type(exc).__name__}; "
                        "the keyword index is rebuilt after the next change")

    def _report(self, report: IngestReport, what: str, started: float,
                sources: set[str] | None = None) -> None:
        """The batch's lines; the stored files are read again (only `sources`' if given)."""
        before = self.stored
        if sources is None:
            self.stored = self._scan()
        else:
            self.stored = {s: v for s, v in before.items() if s not in sources}
            self.stored.update(self._scan(sources))
        for line in changes(before, self.stored, report, as_json=self.options.as_json):
            self.say(line)
        self.batches += 1
        self.say(progress_line(what, report, self.stored, time.monotonic() - started,
                               as_json=self.options.as_json))

    def _scan(self, sources: set[str] | None = None) -> Stored:
        from core.embeddings import embeddings_from
        from core.index.store import open_store, store_exists

        if not store_exists(self.settings):
            return {}
        return stored_files(open_store(self.settings, self.model or
                                       embeddings_from(self.settings)), sources)

    def _root_of(self, path: Path) -> Path | None:
        for root in self.roots:
            if path == root or (path.is_relative_to(root) and root.is_dir()):
                return root
        return None

    def _sort(self, touched: set[Path]) -> Batch:
        """Each touched path as it is now: a file to ingest, a folder to read, gone, or
        not for the index (hidden, temporary, excluded, another type, the data dir)."""
        batch = Batch()
        for path in sorted(touched):
            root = self._root_of(path)
            if root is None or self._hidden(path, root) or path.is_relative_to(self.skip_dir):
                continue
            if not root.exists():  # an unmounted drive must not empty the index
                if root not in self.vanished:
                    self.vanished.add(root)
                    self.status("warning", f"{root} is gone (unmounted?): nothing is removed "
                                "from the index; it is read again when it is back")
                continue
            if path.is_dir():  # a linked folder is not followed (nor by the first pass)
                if not path.is_symlink():
                    self._add_folder(path, root, batch)
                elif self._has_stored(path):  # a folder swapped for a link: the policy
                    batch.gone.append(root)
            elif path.exists() or path.is_symlink():
                self._add_file(path, root, batch)
            elif self._has_stored(path):
                batch.gone.append(path)
        return batch

    def _hidden(self, path: Path, root: Path) -> bool:
        parts = path.relative_to(root).parts if path != root else ()
        return any(part.startswith(".") for part in parts) or matches(path, self.exclude)

    def _add_file(self, path: Path, root: Path, batch: Batch) -> None:
        """A file in a folder, by `discover`'s rules (one named on the command line is
        always read)."""
        if path == root:
            batch.items.append((path, source_of(path, root)))
            return
        if self.options.include and not matches(path, self.options.include):
            return
        if path.suffix.lower() not in LOADERS:
            batch.skipped.append(Problem(str(path), (
                f"unsupported file type {path.suffix or '(none)'!r}")))
            return
        source = source_of(path, root)
        outside = (path.is_symlink() and not self.options.follow_links
                   and leads_outside(path, root))
        if (outside or source != str(path)) and self._has_stored(path):
            # swapped for a link: the prune of its folder applies the path policy
            batch.gone.append(root)
        if outside:
            batch.skipped.append(Problem(str(path), OUTSIDE))
            return
        if too_large(path, self.max_bytes):
            if self._has_stored(path):  # the prune of its folder removes it and says so
                batch.gone.append(root)
            elif path not in self.too_large:  # the loader says so, once
                batch.items.append((path, source))
            self.too_large.add(path)
            return
        self.too_large.discard(path)
        batch.items.append((path, source))

    def _add_folder(self, folder: Path, root: Path, batch: Batch) -> None:
        """A folder created or moved in: its files (no events come for them), and those
        of its stored files that are gone (a folder moved over another)."""
        found = discover([folder], include=self.options.include, exclude=self.exclude,
                         skip_dir=self.skip_dir, follow_links=self.options.follow_links,
                         on_skip=lambda p, why: batch.skipped.append(Problem(str(p), why)))
        batch.items += [(file, source_of(file, root)) for file in found]
        if self._has_stored(folder):
            batch.gone.append(folder)

    def _has_stored(self, path: Path) -> bool:
        return any(self._stored_under(path))

    def _stored_under(self, path: Path) -> Iterator[str]:
        """The stored sources that are `path` or in it."""
        text = str(path)
        return (s for s in self.stored if s == text or s.startswith(text + "/"))


@contextmanager
def stop_on_signals(watcher: Watcher, say: Callable[[str], None]) -> Iterator[None]:
    """SIGINT and SIGTERM stop the watch after the current batch; a second one stops at
    once (the pipeline is safe to kill: the next run repairs and catches up)."""
    def handle(signum: int, frame: Any) -> None:
        if watcher.stopping:
            raise KeyboardInterrupt
        watcher.stop()
        say("stopping after the current batch (Ctrl-C again to stop now)")

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def watch(paths: Sequence[str], settings: Settings, options: WatchOptions,
          model: Embeddings | None = None) -> int:
    """`ingest --watch PATH…` on the command line: run until SIGINT or SIGTERM, exit 0."""
    urls = [p for p in paths if is_url(p)]
    if urls:
        raise DocentError(f"{redact(urls[0])}: --watch takes files and folders, not URLs")
    watcher = Watcher([Path(p) for p in paths], settings, options, model=model)
    with stop_on_signals(watcher, lambda line: print(line, file=sys.stderr, flush=True)):
        return watcher.run()
