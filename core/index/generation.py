"""Which generation of a collection is live.

`--reindex` builds a new generation beside the live one (its own Chroma collection, record
namespace, sentence collection and BM25 root, all named after it) and switches to it only
when it is complete, so a failed or killed rebuild leaves the old index serving.

The switch is a small JSON file in DATA_DIR, `<collection>.generation.json`, replaced
atomically (with DOCENT_DATABASE_URL: the collection's row of `docent_generations`,
replaced in one statement): `active` names the live generation; `building` one being built
and `retired` one being deleted, both left for the next ingest to remove if a run dies.
Without the file (row) the live generation is the collection itself, as in stores made
before generations.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DocentError

if TYPE_CHECKING:
    from core.settings import Settings


@dataclass(frozen=True)
class Generations:
    """The live generation's name, and those a dead run may have left behind."""

    active: str
    building: str | None = None
    retired: str | None = None


def pointer_file(settings: Settings) -> Path:
    return settings.data_dir / f"{settings.collection}.generation.json"


def read_generations(settings: Settings) -> Generations:
    """The pointer's content; the collection itself when there is no pointer."""
    from core.index.backend import postgres_backend

    if (backend := postgres_backend(settings)) is not None:
        return backend.generations()
    path = pointer_file(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Generations(str(data["active"]), data.get("building"), data.get("retired"))
    except FileNotFoundError:
        return Generations(settings.collection)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DocentError(f"{path}: unreadable index pointer ({exc}); restore it or run "
                          "`python -m app ingest --reindex PATH…`") from None


def active_collection(settings: Settings) -> str:
    """The Chroma collection (and record namespace, BM25 root) that serves now."""
    return read_generations(settings).active


def write_generations(settings: Settings, generations: Generations) -> None:
    """Replace the pointer atomically (write aside, flush to disk, rename)."""
    from core.index.backend import postgres_backend

    if (backend := postgres_backend(settings)) is not None:
        backend.write_generations(generations)
        return
    path = pointer_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with temporary.open("w", encoding="utf-8") as out:
        json.dump({k: v for k, v in asdict(generations).items() if v is not None}, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:  # the rename itself must survive a power cut before the old generation goes
        os.fsync(folder)
    finally:
        os.close(folder)


def new_generation_name(settings: Settings, taken: set[str]) -> str:
    """A name for the next generation that no collection in `taken` uses."""
    number = 1
    while {f"{settings.collection}-gen{number}",
           f"{settings.collection}-gen{number}-sentences"} & taken:
        number += 1
    return f"{settings.collection}-gen{number}"
