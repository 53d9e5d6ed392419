"""Issue 24.5: a full disk, a read-only one, a file size limit, a lock or a concurrent first
open is told apart from damage, in one line that names the file and the fix; only a file
that fails SQLite's integrity check is called damaged. Real file systems (a small tmpfs,
mounted here: the tests run as root, as CI does) and a real `ulimit -f`; the command runs
as a subprocess with fake embeddings."""

from __future__ import annotations

import os
import random
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.fakes import HashingEmbeddings
from tests.helpers import ROOT

HOOK = '''
import core.embeddings
from tests.fakes import HashingEmbeddings
core.embeddings.load_embeddings = lambda model, batch_size: HashingEmbeddings()
'''
WORDS = [f"w{n:04}" for n in range(3000)]


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]


def _docent(args: list[str], data_dir: Path, hook: Path,
            preexec: Callable[[], None] | None = None) -> tuple[int, str]:
    """`python -m app ARGS` on `data_dir` with fake embeddings: exit code and stderr."""
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir),
           "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, preexec_fn=preexec, timeout=300)
    return done.returncode, done.stderr


def _store_check(data_dir: Path, hook: Path) -> str:
    """`doctor`'s store row, from a fresh process: "STATUS detail; fix"."""
    code = ("from app.doctor import check_store; from core.settings import Settings; "
            "c = check_store(Settings()); print(c.status, c.detail + '; ' + c.fix)")
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir),
           "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=300)
    return done.stdout.strip() or done.stderr


def _chunks(data_dir: Path) -> dict[str, str]:
    from core.index.store import open_store

    got = open_store(_settings(data_dir), HashingEmbeddings()).vectorstore.get(
        include=["documents"])
    return dict(zip(got["ids"], got["documents"], strict=True))


def _assert_one_honest_line(err: str, *words: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert all(word in err for word in words), err
    assert "damaged" not in err and "restore" not in err and "report it" not in err, err


@pytest.fixture(scope="module")
def hook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose sitecustomize.py gives the command fake embeddings."""
    path = tmp_path_factory.mktemp("hook")
    (path / "sitecustomize.py").write_text(HOOK)
    return path


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs: room for a small store, not for `big` too."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk))
    try:
        yield disk
    finally:  # lazily: this process's Chroma client still holds the files open
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"mount {' '.join(args)} failed (these tests run as root, as CI does): "
                    f"{done.stderr.strip()}")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    folder = tmp_path / "small"
    folder.mkdir()
    (folder / "notes.md").write_text("The grinder burrs are replaced every spring.")
    return folder


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """1.5 MB of text in 60 files: more than a 3 MB disk holds once indexed."""
    folder = tmp_path / "big"
    folder.mkdir()
    rng = random.Random(24)
    for n in range(60):
        (folder / f"d{n}.md").write_text("\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(150)) for _ in range(20)))
    return folder


def test_a_full_disk_is_not_damage_and_nothing_stored_is_lost(
        small_disk: Path, small: Path, big: Path, hook: Path) -> None:
    data = small_disk / "data"
    assert _docent(["ingest", str(small)], data, hook)[0] == 0
    before = _chunks(data)

    code, err = _docent(["ingest", str(big)], data, hook)
    assert code == 2
    _assert_one_honest_line(err, f"{data}: the disk is full", "free space",
                            "nothing stored is lost")

    check = _store_check(data, hook)
    assert check.startswith("FAIL") and "the disk is full" in check, check
    assert "restore" not in check and "free space" in check, check
    for command in (["ingest", str(small)], ["ask", "When are the burrs replaced?"]):
        code, err = _docent(command, data, hook)
        assert code != 0
        _assert_one_honest_line(err, "the disk is full")

    _mount("-o", "remount,size=64m", str(small_disk))  # space freed
    assert _store_check(data, hook).startswith("ok")
    assert _docent(["ingest", str(small)], data, hook)[0] == 0
    assert before.items() <= _chunks(data).items(), "what was stored before is kept"
    assert _docent(["ingest", str(big)], data, hook)[0] == 0


def test_a_read_only_disk_is_named(small_disk: Path, small: Path, hook: Path) -> None:
    data = small_disk / "data"
    assert _docent(["ingest", str(small)], data, hook)[0] == 0
    (small / "more.md").write_text("The espresso machine is descaled monthly.")
    _mount("-o", "remount,ro", str(small_disk))  # before this process opens the store
    code, err = _docent(["ingest", str(small)], data, hook)
    assert code == 2
    _assert_one_honest_line(err, "read-only file system", "DOCENT_DATA_DIR")
    _mount("-o", "remount,rw", str(small_disk))
    assert _docent(["ingest", str(small)], data, hook)[0] == 0
    assert sorted(_chunks(data).values()) == sorted(
        f.read_text() for f in (small / "more.md", small / "notes.md"))


def test_a_file_size_limit_is_named_then_nothing_is_lost(tmp_path: Path, small: Path,
                                                        big: Path, hook: Path) -> None:
    """`ulimit -f`: Python ignores SIGXFSZ, so SQLite sees EFBIG and says "disk I/O error"
    (before: "unexpected OperationalError: disk I/O error ... please report it")."""
    data = tmp_path / "data"
    assert _docent(["ingest", str(small)], data, hook)[0] == 0  # 188 KB of chroma.sqlite3

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (250_000, 250_000))

    code, err = _docent(["ingest", str(big)], data, hook, preexec=limited)
    assert code == 2
    _assert_one_honest_line(err, f"{data}: the file size limit was reached",
                            "ulimit -f: 250000 bytes", "ulimit -f unlimited")
    (small / "more.md").write_text("The espresso machine is descaled monthly.")
    assert _docent(["ingest", str(small)], data, hook)[0] == 0
    texts = {f.read_text() for f in (small / "more.md", small / "notes.md")}
    assert texts <= set(_chunks(data).values()), "the earlier file is kept, the new one added"


def test_a_records_file_locked_by_another_process_is_named(tmp_path: Path, small: Path,
                                                           hook: Path) -> None:
    data = tmp_path / "data"
    assert _docent(["ingest", str(small)], data, hook)[0] == 0
    (small / "more.md").write_text("The espresso machine is descaled monthly.")
    holder = sqlite3.connect(data / "records.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, err = _docent(["ingest", str(small)], data, hook)
    finally:
        holder.close()
    assert code == 2
    _assert_one_honest_line(err, "records.sqlite: locked by another process")


def test_concurrent_first_opens_in_a_fresh_process_all_succeed(tmp_path: Path, small: Path,
                                                               hook: Path) -> None:
    """Two requests to a fresh `serve` open the store at once: each thread must get it."""
    data = tmp_path / "data"
    assert _docent(["ingest", str(small)], data, hook)[0] == 0
    script = '''
import sys, threading
from pathlib import Path
from core.settings import Settings
from core.index.store import open_store
from tests.fakes import HashingEmbeddings
settings = Settings(_env_file=None, data_dir=Path(sys.argv[1]))
failures = []
def open_it():
    try:
        open_store(settings, HashingEmbeddings()).count()
    except Exception as exc:
        failures.append(str(exc))
threads = [threading.Thread(target=open_it) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(failures)
'''
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", script, str(data)], cwd=ROOT, text=True,
                              capture_output=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_an_unexplained_failure_of_a_sound_store_does_not_say_restore(
        tmp_path: Path, small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromadb.errors import InternalError

    import core.index.store
    from core.errors import DocentError
    from ingest.pipeline import ingest_paths

    data = tmp_path / "data"
    ingest_paths([small], _settings(data), model=HashingEmbeddings())

    def fails(*args: object, **kwargs: object) -> None:
        raise InternalError("Could not connect to tenant default_tenant. Are you sure it exists?")

    monkeypatch.setattr(core.index.store, "_persistent_client", fails)
    with pytest.raises(DocentError) as caught:
        _chunks(data)
    message = str(caught.value)
    assert "passes an integrity check" in message and "nothing stored is lost" in message
    assert "restore" not in message and "damaged" not in message


@pytest.mark.parametrize(("exc", "said"), [
    (OSError(28, "No space left on device"), "the disk is full"),
    (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
    (OSError(27, "File too large"), "the file size limit was reached"),
    (OSError(30, "Read-only file system"), "read-only file system"),
    (PermissionError(13, "Permission denied"), "permission denied"),
    (sqlite3.OperationalError("database is locked"), "locked by another process"),
    (sqlite3.OperationalError("table collections already exists"), "being created"),
    (sqlite3.DatabaseError("file is not a database"), None),
    (FileNotFoundError(2, "No such file or directory"), None),
    (KeyError("a bug, not the disk"), None),
])
def test_storage_problems_are_told_apart(exc: BaseException, said: str | None,
                                         tmp_path: Path) -> None:
    from core.index.damage import storage_problem

    problem = storage_problem(tmp_path / "records.sqlite", exc)
    if said is None:
        assert problem is None
    else:
        assert problem is not None and said in str(problem), problem
        assert str(problem).startswith(f"{tmp_path / 'records.sqlite'}: ")
        assert "nothing stored is lost" in str(problem)
