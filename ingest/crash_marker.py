"""The crash marker `DATA_DIR/ingest.incomplete`: present from an ingest's first write until
the chunks, records, sentence vectors and BM25 index agree again.

Empty, it means an ingest may have stopped anywhere: the next run repairs and checks
everything. Holding `KEYWORD_BEHIND`, it means a batch was complete but for the BM25
index (`ingest --watch` makes a change searchable first and rebuilds BM25 right after):
the next run only rebuilds that.

With DOCENT_DATABASE_URL there is no marker (nothing of the index is in DATA_DIR, and
workers with other data dirs share the index): a write carries its sentence vectors and
tokens, so nothing is behind after a kill but chunks without records, which each ingest
removes from the sources it wrote (`ingest.repair.drop_unrecorded`).
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
    if settings.database_url:
        return None
    try:
        return _marker(settings).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def mark_writing(settings: Settings) -> None:
    """Before the first write: an empty marker (a `KEYWORD_BEHIND` one is emptied)."""
    if settings.database_url:
        return
    _marker(settings).write_text("", encoding="utf-8")


def records_lost(settings: Settings) -> bool:
    """Whether the data dir's records file is gone (deleted by hand?): on PostgreSQL the
    records are in the database."""
    return not settings.database_url and not settings.record_db.exists()


def mark_keyword_behind(settings: Settings) -> None:
    """After a complete batch whose BM25 rebuild is left for later (atomic: write aside,
    then rename, so a kill leaves the empty marker or this one)."""
    if settings.database_url:
        return
    aside = settings.data_dir / f"{INCOMPLETE}.tmp"  # one writer: the ingest lock's holder
    aside.write_text(KEYWORD_BEHIND, encoding="utf-8")
    os.replace(aside, _marker(settings))


def clear_marker(settings: Settings) -> None:
    if settings.database_url:
        return
    _marker(settings).unlink(missing_ok=True)
