"""`--reindex` beside the live index: build a new generation, switch to it once complete,
then delete the old one (see core.index.generation). Each step is safe to kill: the
pointer names the live generation at every moment, and the next ingest removes whatever
a dead run left (`clean_leftovers`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.index.backend import open_backend
from core.index.generation import (
    Generations,
    new_generation_name,
    read_generations,
    write_generations,
)
from core.index.store import generation_names
from ingest.completeness import forget_generation

if TYPE_CHECKING:
    from core.settings import Settings


def drop_generation(settings: Settings, name: str) -> None:
    """Delete a generation: its collection, sentence vectors, BM25 index, records and notes.
    The embedding cache stays, so unchanged text is not embedded again."""
    open_backend(settings).drop_generation(name)
    forget_generation(settings, name)


def clean_leftovers(settings: Settings) -> None:
    """Delete what a dead run left: a half-built generation, or a replaced one."""
    generations = read_generations(settings)
    for name in (generations.building, generations.retired):
        if name and name != generations.active:
            drop_generation(settings, name)
    if generations.building or generations.retired:
        write_generations(settings, Generations(generations.active))


def begin_reindex(settings: Settings) -> str:
    """Name the new generation and note it as being built before any of it exists, so a
    kill from here on leaves it for `clean_leftovers`; return its name."""
    live = read_generations(settings).active
    name = new_generation_name(settings, generation_names(settings) | {live})
    write_generations(settings, Generations(live, building=name))
    drop_generation(settings, name)  # records or BM25 files of an old namesake
    return name


def finish_reindex(settings: Settings, name: str) -> None:
    """Make the complete generation `name` the live one, then delete the one it replaces."""
    old = read_generations(settings).active
    write_generations(settings, Generations(name, retired=old))
    drop_generation(settings, old)
    write_generations(settings, Generations(name))


def abandon_reindex(settings: Settings, name: str) -> None:
    """After a failed rebuild: delete the half-built generation; the old one stays live."""
    drop_generation(settings, name)
    write_generations(settings, Generations(read_generations(settings).active))
