"""`ingest --watch`: the real pipeline and a real Chroma store with deterministic fake
embeddings. Each test waits (generous timeout) until the store reaches the state a fresh
ingest of the folder gives; nothing is timed."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.watch import TEMPORARY, Watcher, WatchOptions
from tests.fakes import HashingEmbeddings
from tests.helpers import ROOT, sentences_in_step

TIMEOUT_S = 120.0  # only ever reached when something is broken
FAST = {"debounce_s": 0.05, "poll_s": 0.1}

# Imported by the watcher subprocess at start-up (PYTHONPATH): fake embeddings, a short
# debounce, and with DOCENT_HOLD set, embedding waits while that file exists (so a signal
# or a kill lands in the middle of a batch).
HOOK = '''
import dataclasses, os, pathlib, time
import core.embeddings, core.tuning
from tests.fakes import HashingEmbeddings

core.tuning.TUNING = dataclasses.replace(core.tuning.TUNING, watch_debounce_s=0.05)

class Held(HashingEmbeddings):
    def embed_documents(self, texts):
        hold = os.environ.get("DOCENT_HOLD")
        if hold and os.path.exists(hold):
            pathlib.Path(hold + ".reached").touch()
            while os.path.exists(hold):
                time.sleep(0.05)
        return super().embed_documents(texts)

core.embeddings.load_embeddings = lambda model, batch_size: Held()
'''


@pytest.fixture(autouse=True)
def fake_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store in this module (the watcher's, the reference's) uses the fake model."""
    import core.embeddings

    monkeypatch.setattr(core.embeddings, "load_embeddings",
                        lambda model, batch_size: HashingEmbeddings())


def settings_for(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)


def snapshot(data_dir: Path) -> dict[str, tuple[str, str]] | None:
    """Chunk id → (source, text), or None while records, vectors and sentence vectors
    are not in step (a batch is being written).

    Read under the ingest lock, taken without waiting (None while a batch holds it): a
    reader that opened Chroma while the watcher's first batch created its database ran
    the same schema migration ("table collections already exists")."""
    from filelock import FileLock, Timeout

    if not data_dir.is_dir():
        return {}
    lock = FileLock(data_dir / "ingest.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    try:
        return _in_step(data_dir)
    finally:
        lock.release()


def _in_step(data_dir: Path) -> dict[str, tuple[str, str]] | None:
    from core.embeddings import embeddings_from
    from core.index.store import open_store, store_exists

    settings = settings_for(data_dir)
    if not store_exists(settings):
        return {}
    store = open_store(settings, embeddings_from(settings))
    got = store.vectorstore.get(include=["metadatas", "documents"])
    chunks = {i: (m["source"], d) for i, m, d in zip(
        got["ids"], got["metadatas"], got["documents"], strict=True)}
    if sorted(store.record_manager.list_keys()) != sorted(chunks):
        return None
    return chunks if sentences_in_step(settings) else None


def reference(folder: Path, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """What a fresh, uninterrupted ingest of `folder` (minus temporary files) stores."""
    data_dir = tmp_path / f"reference-{time.monotonic_ns()}"
    report = ingest_paths([folder], settings_for(data_dir), exclude=TEMPORARY)
    assert report.failed == [], report.table()
    chunks = snapshot(data_dir)
    assert chunks is not None
    return chunks


def wait_for(condition: Callable[[], bool], what: str, log: Callable[[], str]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached: {what}\n{log()}")
        time.sleep(0.05)


def wait_in_sync(folder: Path, data_dir: Path, tmp_path: Path, log: Callable[[], str]
                 ) -> None:
    """Until the watched store holds exactly what a fresh ingest of `folder` gives."""
    from chromadb.errors import InternalError

    expected = reference(folder, tmp_path)

    def reached() -> bool:
        try:
            return snapshot(data_dir) == expected
        except InternalError as exc:  # "database is locked": the watcher process writes
            assert "locked" in str(exc), exc
            return False

    wait_for(reached, f"store in step with {folder}", log)


class Running:
    """A `Watcher` on a thread, as the tests drive it."""

    def __init__(self, folder: Path, data_dir: Path, settings: Settings | None = None,
                 **options: float | bool) -> None:
        self.out = io.StringIO()
        self.watcher = Watcher([folder], settings or settings_for(data_dir),
                               WatchOptions(**{**FAST, **options}), out=self.out)
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        wait_for(lambda: "watching" in self.out.getvalue() or not self.thread.is_alive(),
                 "the first pass", self.log)

    def _run(self) -> None:
        self.code = self.watcher.run()

    def log(self) -> str:
        return self.out.getvalue()

    def stop(self) -> int | None:
        self.watcher.stop()
        self.thread.join(TIMEOUT_S)
        return self.code


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "notes"
    path.mkdir()
    (path / "coffee.md").write_text("The café roasts Ethiopian beans every Tuesday.")
    (path / "leave.txt").write_text("Full-time staff get fifteen days of paid leave.")
    return path


@pytest.fixture
def watching(folder: Path, tmp_path: Path, request: pytest.FixtureRequest
             ) -> Iterator[Running]:
    running = Running(folder, tmp_path / "data", poll=getattr(request, "param", False))
    yield running
    assert running.stop() == 0, running.log()


@pytest.mark.parametrize("watching", [False, True], ids=["events", "polling"],
                         indirect=True)
def test_add_modify_rename_delete(watching: Running, folder: Path, tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", watching.log
    wait_in_sync(folder, data_dir, tmp_path, log)

    (folder / "hours.md").write_text("The shop opens at eight and closes at six.")
    wait_in_sync(folder, data_dir, tmp_path, log)
    (folder / "coffee.md").write_text("The café now roasts Kenyan beans on Fridays.")
    wait_in_sync(folder, data_dir, tmp_path, log)
    (folder / "hours.md").rename(folder / "opening-hours.md")
    wait_in_sync(folder, data_dir, tmp_path, log)
    (folder / "leave.txt").unlink()
    wait_in_sync(folder, data_dir, tmp_path, log)

    lines = log()
    assert f"added    {folder / 'hours.md'}" in lines
    assert f"updated  {folder / 'coffee.md'}" in lines
    assert f"renamed  {folder / 'hours.md'} → {folder / 'opening-hours.md'}" in lines
    assert f"removed  {folder / 'leave.txt'}" in lines


def test_the_keyword_index_catches_up_after_each_batch(watching: Running, folder: Path,
                                                      tmp_path: Path) -> None:
    from core.index.keyword import load_keyword_index

    data_dir = tmp_path / "data"
    (folder / "hours.md").write_text("The shop opens at eight and closes at six.")
    wait_in_sync(folder, data_dir, tmp_path, watching.log)

    def caught_up() -> bool:
        chunks = snapshot(data_dir)
        index = load_keyword_index(settings_for(data_dir))
        return (chunks is not None and index is not None and sorted(index.ids) == sorted(chunks)
                and not (data_dir / "ingest.incomplete").exists())

    wait_for(caught_up, "the BM25 index caught up", watching.log)
    assert "error" not in watching.log()


def test_burst_of_100_files_is_batched(folder: Path, tmp_path: Path) -> None:
    running = Running(folder, tmp_path / "data", debounce_s=0.5)
    first = running.watcher.batches
    for n in range(100):
        (folder / f"note-{n:03}.md").write_text(f"Note number {n} is about topic {n % 7}.")
    wait_in_sync(folder, tmp_path / "data", tmp_path, running.log)
    assert running.stop() == 0
    # one quiet moment after the burst, not a pipeline run per file
    assert running.watcher.batches - first < 10, running.log()
    assert running.log().count(f"added    {folder}/note-") == 100


def test_atomic_saves_of_editors(folder: Path, tmp_path: Path) -> None:
    """An editor writes a temp file and renames it over the document (gedit, VS Code,
    Office); vim probes with 4913 and keeps a backup `name~`. Each save is one update."""
    data_dir = tmp_path / "data"
    # a debounce of a save's length or more, as the default (even on a loaded machine)
    watching = Running(folder, data_dir, debounce_s=0.5)
    wait_in_sync(folder, data_dir, tmp_path, watching.log)
    temp = folder / ".coffee.md.tmp-8172"
    temp.write_text("Atomic save: the café roasts Colombian beans on Mondays.")
    os.replace(temp, folder / "coffee.md")
    wait_in_sync(folder, data_dir, tmp_path, watching.log)

    (folder / "4913").write_text("")
    (folder / "4913").unlink()
    (folder / "leave.txt").rename(folder / "leave.txt~")
    (folder / "leave.txt").write_text("Full-time staff get twenty days of paid leave.")
    (folder / "leave.txt~").unlink()
    wait_in_sync(folder, data_dir, tmp_path, watching.log)

    lines = watching.log()
    assert lines.count(f"updated  {folder / 'coffee.md'}") == 1
    assert f"removed  {folder / 'leave.txt'}" not in lines
    assert "4913" not in lines and ".tmp" not in lines and "~" not in lines
    assert watching.stop() == 0


def test_temporary_files_are_ignored(watching: Running, folder: Path, tmp_path: Path) -> None:
    names = ["4913", "notes.md~", "~$report.md", "#notes.md#", ".#notes.md", ".notes.md.swp",
             "draft.md.tmp", "paper.pdf.crdownload", "book.md.part", ".hidden.md"]
    for name in names:
        (folder / name).write_text("temporary text that must not be indexed")
    (folder / "real.md").write_text("Written after the temporary files.")
    wait_in_sync(folder, tmp_path / "data", tmp_path, watching.log)
    sources = {source for source, _ in (snapshot(tmp_path / "data") or {}).values()}
    assert sources == {str(folder / n) for n in ("coffee.md", "leave.txt", "real.md")}
    assert not any(name in watching.log() for name in names)


def test_folder_moved_in_then_removed(watching: Running, folder: Path, tmp_path: Path
                                      ) -> None:
    outside = tmp_path / "elsewhere" / "project"
    outside.mkdir(parents=True)
    (outside / "plan.md").write_text("The project ships in March.")
    (outside / "sub").mkdir()
    (outside / "sub" / "risks.txt").write_text("The main risk is the supplier.")
    shutil.move(outside, folder / "project")  # no events come for its files
    wait_in_sync(folder, tmp_path / "data", tmp_path, watching.log)
    assert len(snapshot(tmp_path / "data") or {}) == 4
    shutil.rmtree(folder / "project")
    wait_in_sync(folder, tmp_path / "data", tmp_path, watching.log)
    assert len(snapshot(tmp_path / "data") or {}) == 2


def test_a_file_swapped_for_a_link_out_is_removed_and_named(watching: Running, folder: Path,
                                                            tmp_path: Path) -> None:
    """Issue 24.1: `ln -sf /elsewhere/secret.txt notes.new && mv -f notes.new coffee.md`."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the vault combination is 31-4-15")
    wait_in_sync(folder, tmp_path / "data", tmp_path, watching.log)
    (folder / "coffee.md.new").symlink_to(secret)
    os.replace(folder / "coffee.md.new", folder / "coffee.md")
    wait_for(lambda: f"removed  {folder / 'coffee.md'}" in watching.log(), "the removal",
             watching.log)
    # read once the batch is written: a snapshot taken while it holds the lock is None
    wait_in_sync(folder, tmp_path / "data", tmp_path, watching.log)
    sources = {source for source, _ in (snapshot(tmp_path / "data") or {}).values()}
    assert sources == {str(folder / "leave.txt")}
    assert (f"warning  {folder / 'coffee.md'}: now a symlink pointing outside the folder: "
            "removed from the index") in watching.log()


def test_unsupported_file_is_named_once_and_not_stored(watching: Running, folder: Path,
                                                       tmp_path: Path) -> None:
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "after.md").write_text("A note after the photo.")
    wait_in_sync(folder, tmp_path / "data", tmp_path, watching.log)
    assert f"skipped  {folder / 'photo.jpg'}: unsupported file type '.jpg'" in watching.log()


def test_falls_back_to_polling_when_inotify_is_exhausted(
        folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import watchdog.observers

    class Exhausted(watchdog.observers.Observer):  # type: ignore[misc,valid-type]
        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", Exhausted)
    running = Running(folder, tmp_path / "data")
    (folder / "later.md").write_text("Seen by polling.")
    wait_in_sync(folder, tmp_path / "data", tmp_path, running.log)
    assert running.stop() == 0
    assert "file events unavailable (inotify watch limit reached): polling" in running.log()
    assert "(polling)" in running.log()


def test_a_vanished_folder_removes_nothing(folder: Path, tmp_path: Path) -> None:
    """An unmounted drive looks like every file deleted: the index must keep them."""
    running = Running(folder, tmp_path / "data")
    wait_in_sync(folder, tmp_path / "data", tmp_path, running.log)
    kept = snapshot(tmp_path / "data")
    shutil.rmtree(folder)
    wait_for(lambda: "is gone (unmounted?)" in running.log(), "the warning", running.log)
    assert snapshot(tmp_path / "data") == kept
    folder.mkdir()  # back (remounted): read again
    (folder / "back.md").write_text("Written while the drive was away.")
    wait_in_sync(folder, tmp_path / "data", tmp_path, running.log)
    assert running.stop() == 0
    assert f"{folder} is back: reading it again" in running.log() or (
        f"{folder} was replaced by another folder" in running.log())


def test_a_replaced_folder_is_resynced_and_the_old_one_ignored(
        watching: Running, folder: Path, tmp_path: Path) -> None:
    """Issue 24.6: `mv w w.old; mv w.new w` left the new files unindexed, and edits in
    w.old reached the index under w's names."""
    data_dir, log = tmp_path / "data", watching.log
    wait_in_sync(folder, data_dir, tmp_path, log)
    new = tmp_path / "notes.new"
    new.mkdir()
    (new / "coffee.md").write_text("The new café roasts Kenyan beans on Fridays.")
    (new / "menu.md").write_text("The menu lists five kinds of espresso.")
    old = tmp_path / "notes.old"
    folder.rename(old)
    new.rename(folder)
    wait_in_sync(folder, data_dir, tmp_path, log)
    assert f"{folder} was replaced by another folder: reading it again" in log()

    (old / "coffee.md").unlink()  # edits in the old folder: none may reach the index
    (old / "leave.txt").write_text("Changed in the old folder.")
    (old / "extra.md").write_text("Written in the old folder.")
    (folder / "hours.md").write_text("The shop opens at eight.")  # and it keeps watching
    wait_in_sync(folder, data_dir, tmp_path, log)
    sources = {source for source, _ in (snapshot(data_dir) or {}).values()}
    assert sources == {str(folder / n) for n in ("coffee.md", "menu.md", "hours.md")}


def test_a_second_watcher_of_one_data_dir_is_refused(watching: Running, folder: Path,
                                                    tmp_path: Path) -> None:
    """Issue 24.6: several watchers on one data dir reported different totals."""
    from core.errors import DocentError

    other = tmp_path / "other"
    other.mkdir()
    out = io.StringIO()
    second = Watcher([other], settings_for(tmp_path / "data"), WatchOptions(**FAST), out=out)
    refused: list[DocentError] = []

    def run_second() -> None:
        try:
            second.run()
        except DocentError as exc:
            refused.append(exc)

    thread = threading.Thread(target=run_second, daemon=True)
    thread.start()
    wait_for(lambda: bool(refused) or "watching" in out.getvalue(), "the second watch's end",
             out.getvalue)
    second.stop()
    thread.join(TIMEOUT_S)
    assert refused and "another `ingest --watch` is running on" in str(refused[0]), out.getvalue()
    (folder / "hours.md").write_text("The shop opens at eight.")
    wait_in_sync(folder, tmp_path / "data", tmp_path, watching.log)


def test_a_file_grown_past_the_cap_is_removed_and_named_once(folder: Path,
                                                             tmp_path: Path) -> None:
    """Issue 24.6: it was "failed" at each write, while its old text kept being answered."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "data",  # type: ignore[call-arg]
                        max_file_mb=0.001)
    running = Running(folder, tmp_path / "data", settings=settings)
    coffee = folder / "coffee.md"
    (folder / "coffee.md").write_text("The café roasts beans. " * 100)  # 2.3 KB > 1 KB
    wait_for(lambda: f"removed  {coffee}" in running.log(), "the removal", running.log)
    with coffee.open("a") as grows:
        grows.write("It still grows. " * 10)
    (folder / "hours.md").write_text("The shop opens at eight.")
    wait_for(lambda: f"added    {folder / 'hours.md'}" in running.log(), "the next batch",
             running.log)
    assert running.stop() == 0
    sources = {source for source, _ in (snapshot(tmp_path / "data") or {}).values()}
    assert sources == {str(folder / "leave.txt"), str(folder / "hours.md")}
    watched = running.log().split("Ctrl-C stops\n")[1]
    named = [line for line in watched.splitlines() if str(coffee) in line]
    assert named == [f"removed  {coffee} (1 chunks)",
                     f"warning  {coffee}: grew past DOCENT_MAX_FILE_MB (0.001 MB): removed "
                     "from the index (its old text is no longer answered)"], running.log()


def test_json_lines(folder: Path, tmp_path: Path) -> None:
    running = Running(folder, tmp_path / "data", as_json=True)
    (folder / "extra.md").write_text("One more note.")
    wait_in_sync(folder, tmp_path / "data", tmp_path, running.log)
    assert running.stop() == 0
    lines = [json.loads(line) for line in running.log().splitlines()]
    assert {"change": "added", "path": str(folder / "extra.md"), "chunks": 1} in lines
    assert [line["event"] for line in lines if "event" in line][-1] == "stopped"


@pytest.mark.parametrize(("argv", "error"), [
    (["--poll", "notes"], "--poll needs --watch"),
    (["--watch", "https://example.org/a?token=abc"], "not URLs"),
    (["--watch", "no-such-folder"], "no such file or directory"),
])
def test_command_line_errors(argv: list[str], error: str, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import main

    monkeypatch.setenv("DOCENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", *argv]) == 2
    err = capsys.readouterr().err
    assert error in err and "abc" not in err and "Traceback" not in err


# --- the command, in a subprocess: kill -9, restart, Ctrl-C ---------------------------


def _start(folder: Path, data_dir: Path, hook: Path, hold: Path, stderr: Path
           ) -> subprocess.Popen[str]:
    """`python -m app ingest --watch folder`; its stderr goes to a file, read while it
    runs."""
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_HOLD": str(hold),
           "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
    with stderr.open("a") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "ingest", "--watch", str(folder)], cwd=ROOT,
            env=env, stdout=subprocess.PIPE, stderr=errors, text=True)


@pytest.fixture
def hook(tmp_path: Path) -> Path:
    path = tmp_path / "hook"
    path.mkdir()
    (path / "sitecustomize.py").write_text(HOOK)
    return path


def _held(process: subprocess.Popen[str], hold: Path) -> Callable[[], bool]:
    def reached() -> bool:
        assert process.poll() is None, process.communicate()
        return Path(f"{hold}.reached").exists()
    return reached


def test_kill_9_mid_batch_then_restart_catches_up_exactly(folder: Path, tmp_path: Path,
                                                          hook: Path) -> None:
    data_dir, hold, errors = tmp_path / "data", tmp_path / "hold", tmp_path / "stderr"
    process = _start(folder, data_dir, hook, hold, errors)
    try:
        wait_in_sync(folder, data_dir, tmp_path, errors.read_text)
        hold.touch()  # the next batch stops inside embedding, its crash marker written
        (folder / "new.md").write_text("A note the killed batch was writing.")
        wait_for(_held(process, hold), "the batch to be embedding", errors.read_text)
    finally:
        process.kill()
        process.communicate()
    assert (data_dir / "ingest.incomplete").exists()
    hold.unlink()

    # while it is down: an edit, a rename and a new file
    (folder / "coffee.md").write_text("Changed while the watcher was down.")
    (folder / "leave.txt").rename(folder / "leave-policy.txt")
    (folder / "late.md").write_text("Added while the watcher was down.")
    restarted = _start(folder, data_dir, hook, hold, errors)
    try:
        wait_in_sync(folder, data_dir, tmp_path, errors.read_text)
        (folder / "new.md").unlink()  # and it keeps watching
        wait_in_sync(folder, data_dir, tmp_path, errors.read_text)
    finally:
        restarted.send_signal(signal.SIGINT)
        out, _ = restarted.communicate(timeout=TIMEOUT_S)
    assert restarted.returncode == 0, errors.read_text()
    assert "an earlier ingest was interrupted" in out
    assert f"renamed  {folder / 'leave.txt'} → {folder / 'leave-policy.txt'}" in out
    assert f"added    {folder / 'late.md'}" in out
    assert f"removed  {folder / 'new.md'}" in out
    assert not (data_dir / "ingest.incomplete").exists()


def test_ctrl_c_finishes_the_batch_then_exits_0(folder: Path, tmp_path: Path, hook: Path
                                                 ) -> None:
    data_dir, hold, errors = tmp_path / "data", tmp_path / "hold", tmp_path / "stderr"
    process = _start(folder, data_dir, hook, hold, errors)
    try:
        wait_in_sync(folder, data_dir, tmp_path, errors.read_text)
        hold.touch()
        (folder / "new.md").write_text("The batch that Ctrl-C must let finish.")
        wait_for(_held(process, hold), "the batch to be embedding", errors.read_text)
        process.send_signal(signal.SIGINT)
        wait_for(lambda: "stopping after the current batch" in errors.read_text(),
                 "the signal to be seen", errors.read_text)
        hold.unlink()
        out, _ = process.communicate(timeout=TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors.read_text()
    assert f"added    {folder / 'new.md'}" in out
    assert out.rstrip().endswith("stopped")
    assert not (data_dir / "ingest.incomplete").exists()
    assert snapshot(data_dir) == reference(folder, tmp_path)
