"""Expand the paths given on the command line into the files to ingest."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from core.errors import DocentError
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
    on_error: Callable[[Path, str], None] | None = None,
) -> Iterator[Path]:
    """Files under `roots` with a known type, minus hidden ones and the data directory.

    A root that is a file is always yielded (its loader reports an unsupported type);
    a root that does not exist raises `DocentError`; a folder that cannot be listed goes
    to `on_error` and the walk goes on. Symlinked folders are not followed (no loops).
    """
    include, exclude = tuple(include), tuple(exclude)
    skip = skip_dir.resolve() if skip_dir else None
    for root in roots:
        if not (root.exists() or root.is_symlink()):
            raise DocentError(f"{root}: no such file or directory")
        if not root.is_dir():
            yield root
            continue
        def report(error: OSError, where: Path = root) -> None:
            if on_error is not None:
                reason = (error.strerror or str(error)).lower()
                on_error(Path(error.filename or where), f"cannot list folder ({reason})")

        for folder, dirnames, filenames in os.walk(root, onerror=report, followlinks=False):
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
