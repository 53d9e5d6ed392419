"""A damaged or unreadable store file is one line naming the file, the cause and the fix,
never the storage library's traceback."""

from __future__ import annotations

from pathlib import Path

from core.errors import DocentError

REINGEST = "`python -m app ingest PATH…`"


def first_line(exc: BaseException) -> str:
    """The exception's message, first line only (sqlite and Chroma add pages of context)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


class DamagedStoreError(DocentError):
    """A store file that cannot be read; `detail` says which and why, `fix` what to do."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(f"{detail}; {fix}")
        self.detail, self.fix = detail, fix


def damaged(path: Path, exc: BaseException, fix: str) -> DamagedStoreError:
    return DamagedStoreError(f"{path}: damaged or unreadable ({first_line(exc)})", fix)


CHROMA_FIX = ("restore the data dir from a backup, or move it aside and run "
              f"{REINGEST} again (DOCENT_DATA_DIR names it)")
RECORDS_FIX = f"delete it: the next {REINGEST} rebuilds the records from the store"
KEYWORD_FIX = "delete {root}: the next " + REINGEST + " rebuilds it from the store"
