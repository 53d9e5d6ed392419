"""Expand the paths given on the command line into the files to ingest."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from app.errors import DocentError
from ingest.loaders import LOADERS


def _matches(path: Path, patterns: Iterable[str]) -> bool:
    text = path.as_posix()
    return any(fnmatch.fnmatch(text, p) or fnmatch.fnmatch(path.name, p) for p in patterns)


def discover(
    roots: Iterable[Path],
    *,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    skip_dir: Path | None = None,
) -> Iterator[Path]:
    """Files under `roots` with a known type, minus hidden ones and the data directory.

    A root that is a file is always yielded (its loader reports an unsupported type);
    a root that does not exist raises `DocentError`.
    """
    include, exclude = tuple(include), tuple(exclude)
    skip = skip_dir.resolve() if skip_dir else None
    for root in roots:
        if not root.exists():
            raise DocentError(f"{root}: no such file or directory")
        if root.is_file():
            yield root
            continue
        for folder, dirnames, filenames in os.walk(root, followlinks=False):
            here = Path(folder)
            dirnames[:] = sorted(
                d for d in dirnames
                if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)
            )
            for name in sorted(filenames):
                path = here / name
                if name.startswith(".") or path.suffix.lower() not in LOADERS:
                    continue
                if include and not _matches(path, include):
                    continue
                if _matches(path, exclude):
                    continue
                yield path
