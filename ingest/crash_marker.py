"""The crash marker `DATA_DIR/ingest.incomplete`: present from an ingest's first write until
the chunks, records, sentence vectors and BM25 index agree again.

Empty, it means an ingest may have stopped anywhere: the next run repairs and checks
everything. Holding `KEYWORD_BEHIND`, it means a batch was complete but for the BM25
index (`ingest --watch` makes a change searchable first and rebuilds BM25 right after):
the next run only rebuilds that.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from core.settings import Settings

INCOMPLETE = "ingest.incomplete"
KEYWORD_BEHIND = "keyword index behind"


def _marker(settings: Settings) -> Path:
    return settings.data_dir / INCOMPLETE


def read_marker(settings: Settings) -> str | None:
    """None when the last ingest finished, else the marker's text ("" if interrupted)."""
    try:
        return _marker(settings).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def mark_writing(settings: Settings) -> None:
    """Before the first write: an empty marker (a `KEYWORD_BEHIND` one is emptied)."""
    _marker(settings).write_text("", encoding="utf-8")


def mark_keyword_behind(settings: Settings) -> None:
    """After a complete batch whose BM25 rebuild is left for later (atomic: write aside,
    then rename, so a kill leaves the empty marker or this one)."""
    aside = settings.data_dir / f"{INCOMPLETE}.tmp"  # one writer: the ingest lock's holder
    aside.write_text(KEYWORD_BEHIND, encoding="utf-8")
    os.replace(aside, _marker(settings))


def clear_marker(settings: Settings) -> None:
    _marker(settings).unlink(missing_ok=True)
