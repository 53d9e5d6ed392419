"""One ingest, and one `ingest --watch`, per data directory at a time; with
DOCENT_DATABASE_URL, per collection of the database (advisory locks), where ingests of
files share the lock and `--reindex` holds it alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING

from core.errors import DocentError
from core.index.damage import storage_problem

if TYPE_CHECKING:
    from pathlib import Path

    from core.settings import Settings

# how long a second ingest waits for the first (`ingest --wait` changes it)
LOCK_WAIT_S = 600.0


@contextmanager
def _held(path: Path, wait_s: float, refusal: str) -> Iterator[None]:
    """Hold the file lock `path`, waiting at most `wait_s`; else `refusal` (+ the lock)."""
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        raise DocentError(refusal.format(lock=lock.lock_file)) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def ingest_lock(settings: Settings, wait_s: float = LOCK_WAIT_S, *, shared: bool = False
                ) -> Iterator[None]:
    """Hold the ingest lock; a second ingest waits, then fails clearly. On PostgreSQL a
    `shared` holder (an ingest of files: the job queue keeps workers on different files)
    waits only for an exclusive one (`--reindex`); in a data dir every holder is alone.
    A write that fails for want of space, a read-only disk, a file size limit... is
    raised as the one line `core.index.damage.storage_problem` gives."""
    with _lock(settings, "ingest", wait_s, shared, f"another ingest is running on "
               f"{settings.data_dir} (waited {wait_s:.0f} s for {{lock}})"):
        try:
            yield
        except Exception as exc:  # every ingest write runs here: a full disk is not a bug
            if isinstance(exc, DocentError) or (
                    problem := storage_problem(settings.data_dir, exc)) is None:
                raise
            raise problem from exc


@contextmanager
def watch_lock(settings: Settings) -> Iterator[None]:
    """Hold the data directory's watch lock; a second `ingest --watch` is refused at once
    (two watchers of one index reported different totals, and each pruned by its own
    view of the folders)."""
    with _lock(settings, "watch", 0, False,
               f"another `ingest --watch` is running on {settings.data_dir} ({{lock}}): "
               "stop it, or watch all the folders from one"):
        yield


def _lock(settings: Settings, purpose: str, wait_s: float, shared: bool, refusal: str
          ) -> AbstractContextManager[None]:
    """The `purpose` lock: advisory in DOCENT_DATABASE_URL, else a file in the data dir."""
    if settings.database_url:
        from core.index.postgres.lock import advisory_lock

        return advisory_lock(settings.database_url, settings.collection, wait_s,
                             shared=shared, purpose=purpose)
    return _held(settings.data_dir / f"{purpose}.lock", wait_s, refusal)
