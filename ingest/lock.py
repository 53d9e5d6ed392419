"""One ingest per data directory at a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from core.errors import DocentError
from core.index.damage import storage_problem

if TYPE_CHECKING:
    from core.settings import Settings

# how long a second ingest waits for the first (`ingest --wait` changes it)
LOCK_WAIT_S = 600.0


@contextmanager
def ingest_lock(settings: Settings, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the data directory's ingest lock; a second ingest waits, then fails clearly.
    A write that fails for want of space, a read-only disk, a file size limit... is
    raised as the one line `core.index.damage.storage_problem` gives."""
    from filelock import FileLock, Timeout

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / "ingest.lock")
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        raise DocentError(
            f"another ingest is running on {settings.data_dir} "
            f"(waited {wait_s:.0f} s for {lock.lock_file})"
        ) from None
    try:
        yield
    except Exception as exc:  # every ingest write runs here: a full disk is not a bug
        if isinstance(exc, DocentError) or (
                problem := storage_problem(settings.data_dir, exc)) is None:
            raise
        raise problem from exc
    finally:
        lock.release()
