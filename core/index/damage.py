"""A store file that cannot be read or written is one line naming the file, the cause and
the fix, never the storage library's traceback.

Most such failures are not damage: a full disk, a read-only one, a file size limit
(`ulimit -f`: Python ignores SIGXFSZ, so the write fails with EFBIG), another process
holding a lock, or a store being created by a concurrent first request. Each is told
apart (`storage_problem`) and says that nothing stored is lost. SQLite and Chroma often
lose the OS error on the way ("disk I/O error", "Failed to apply logs to the metadata
segment"), so the data dir's file system is looked at too. Only a file that fails
SQLite's `PRAGMA quick_check` is called damaged, with the fix that replaces it.
"""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
from contextlib import closing
from pathlib import Path

from core.errors import DocentError

REINGEST = "`python -m app ingest PATH…`"
# A failed write rolls its journal back, which frees the space it had taken: after a
# store write failed on a full 3 MB tmpfs, 1.7 MB were free again (tests/test_disk_full.py).
LOW_SPACE_BYTES = 64 * 2**20
NOTHING_LOST = "nothing stored is lost"
# messages that name damage itself: never explained by the file system
CORRUPTION = ("not a database", "malformed", "corrupt", "damaged")


def first_line(exc: BaseException) -> str:
    """The exception's message, first line only (sqlite and Chroma add pages of context)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


class StorageError(DocentError):
    """A store file that cannot be read or written; `detail` says which and why, `fix`
    what to do."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(f"{detail}; {fix}")
        self.detail, self.fix = detail, fix


class DamagedStoreError(StorageError):
    """A store file that fails an integrity check (or cannot be parsed at all)."""


def _errno(exc: BaseException) -> int | None:
    """The OS error number of `exc` or of what caused it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:
            return seen.errno
        seen = seen.__cause__ or seen.__context__
    return None


def _messages(exc: BaseException) -> str:
    seen: BaseException | None = exc
    texts: list[str] = []
    while seen is not None and len(texts) < 5:
        texts.append(str(seen).lower())
        seen = seen.__cause__ or seen.__context__
    return " | ".join(texts)


def _from_storage(exc: BaseException) -> bool:
    """Whether `exc` comes from the file system or a storage library (not, say, a bug in
    docent, which no state of the disk explains)."""
    seen: BaseException | None = exc
    while seen is not None:
        module = type(seen).__module__.split(".")[0]
        if isinstance(seen, OSError) or module in ("sqlite3", "chromadb", "sqlalchemy"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _existing(path: Path) -> Path:
    """`path` or its nearest existing parent (what the file system can be asked about)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _free_bytes(path: Path) -> int:
    info = os.statvfs(_existing(path))
    return info.f_bavail * info.f_frsize


def _size_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else soft


def _read_only(path: Path) -> bool:
    return bool(os.statvfs(_existing(path)).f_flag & os.ST_RDONLY)


def _full(path: Path) -> StorageError:
    free = _free_bytes(path) / 2**20
    return StorageError(f"{path}: the disk is full ({free:.1f} MB free)",
                        f"free space and run the command again; {NOTHING_LOST}")


def _size_limited(path: Path, limit: int | None) -> StorageError:
    what = f"{limit} bytes" if limit is not None else "EFBIG"
    return StorageError(f"{path}: the file size limit was reached (ulimit -f: {what})",
                        "raise it (`ulimit -f unlimited`) and run the command again; "
                        + NOTHING_LOST)


def _read_only_error(path: Path) -> StorageError:
    return StorageError(f"{path}: on a read-only file system",
                        "remount it read-write, or set DOCENT_DATA_DIR to a writable "
                        f"folder, and run the command again; {NOTHING_LOST}")


def _denied(path: Path) -> StorageError:
    return StorageError(f"{path}: permission denied",
                        "give this user write access to the data dir (DOCENT_DATA_DIR) "
                        f"and run the command again; {NOTHING_LOST}")


def storage_problem(path: Path, exc: BaseException) -> StorageError | None:
    """What in the environment made reading or writing store file `path` fail with `exc`
    (disk full, read-only, size limit, permission, a lock, a concurrent first open), as
    one line with the fix; None when nothing explains it."""
    code, text = _errno(exc), _messages(exc)
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text or (
            "no space left" in text):
        return _full(path)
    if code == errno.EFBIG or "file too large" in text:
        return _size_limited(path, _size_limit())
    if code == errno.EROFS or "read-only file system" in text:
        return _read_only_error(path)
    if code in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        return _denied(path)
    if "database is locked" in text or "database table is locked" in text:
        return StorageError(f"{path}: locked by another process (another docent writing?)",
                            "try again when it is done; " + NOTHING_LOST)
    if "already exists" in text:  # two first opens running the same schema migration
        return StorageError(f"{path}: being created by a concurrent first request",
                            "try again in a moment; " + NOTHING_LOST)
    if (any(word in text for word in CORRUPTION) or not _from_storage(exc)
            or code not in (None, errno.EIO)):  # another OS error says what it is
        return None
    # the cause was lost on the way ("disk I/O error", a Chroma compaction error): the
    # file system tells what it was
    if (limit := _size_limit()) is not None:
        return _size_limited(path, limit)
    if _read_only(path) or "readonly database" in text:
        return _read_only_error(path)
    if not os.access(_existing(path), os.W_OK):
        return _denied(path)
    if _free_bytes(path) < LOW_SPACE_BYTES:
        return _full(path)
    return None


def integrity_problem(path: Path) -> str | None:
    """What SQLite's `PRAGMA quick_check` finds wrong with the SQLite file `path` (or with
    `path/chroma.sqlite3` for a Chroma folder); None when it passes or cannot be run."""
    database = path / "chroma.sqlite3" if path.is_dir() else path
    if not database.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        message = str(exc).lower()
        return message if any(word in message for word in CORRUPTION) else None
    found = [str(row[0]) for row in rows]
    return None if found == ["ok"] else "; ".join(found)[:300]


def damaged(path: Path, exc: BaseException, fix: str) -> StorageError:
    """The error for store file `path` that failed with `exc`: the environment's cause if
    one explains it, else damage (with `fix`) only when the file fails an integrity check."""
    if (problem := storage_problem(path, exc)) is not None:
        return problem
    database = path / "chroma.sqlite3" if path.is_dir() else path
    checkable = database.is_file() and database.suffix in (".sqlite", ".sqlite3", ".db")
    if checkable and integrity_problem(path) is None:
        return StorageError(f"{path}: could not be opened ({first_line(exc)}), though it "
                            "passes an integrity check", "run the command again, and "
                            f"report it if it persists; {NOTHING_LOST}")
    return DamagedStoreError(f"{path}: damaged or unreadable ({first_line(exc)})", fix)


CHROMA_FIX = ("restore the data dir from a backup, or move it aside and run "
              f"{REINGEST} again (DOCENT_DATA_DIR names it)")
RECORDS_FIX = f"delete it: the next {REINGEST} rebuilds the records from the store"
KEYWORD_FIX = "delete {root}: the next " + REINGEST + " rebuilds it from the store"
