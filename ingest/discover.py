"""Expand the paths given on the command line into the files to ingest."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from core.errors import DocentError
from ingest.loaders import LOADERS, unsupported
from ingest.source_policy import MISSING, OUTSIDE, leads_outside, real_path
from ingest.source_policy import source_of as source_of  # the pipeline names it from here

Notify = Callable[[Path, str], None]


def matches(path: Path, patterns: Iterable[str]) -> bool:
    """Whether `path` (its whole path or its name) matches one of the globs."""
    text = path.as_posix()
    return any(fnmatch.fnmatch(text, p) or fnmatch.fnmatch(path.name, p) for p in patterns)


def identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of what `path` leads to, or None when it is gone."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def discover(
    roots: Iterable[Path],
    *,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    skip_dir: Path | None = None,
    on_error: Notify | None = None,
    on_skip: Notify | None = None,
    follow_links: bool = False,
) -> Iterator[Path]:
    """Files under `roots` with a known type, minus hidden ones and the data directory.

    A root that is a file is always yielded (its loader reports an unsupported type), even
    a symlink: the user named it. A root that does not exist goes to `on_error` (raises
    `DocentError` without one); so does a folder that cannot be listed, and the walk goes
    on. Files of other types and symlinks (to files or folders) that lead outside the
    folder go to `on_skip`; `follow_links` reads those links too (each folder once, so
    link loops end). Hidden files, excluded ones and the data directory stay silent.
    """
    include, exclude = tuple(include), tuple(exclude)
    skip = skip_dir.resolve() if skip_dir else None
    for root in roots:
        if not (root.exists() or root.is_symlink()):
            if on_error is None:
                raise DocentError(f"{root}: {MISSING}")
            on_error(root, MISSING)
            continue
        if not root.is_dir():
            yield root
            continue
        for path, reason, folder in _walk(root, skip, follow_links, on_error):
            if (include and not folder and not matches(path, include)) or matches(
                    path, exclude):
                continue
            if reason is None and path.suffix.lower() not in LOADERS:
                reason = unsupported(path.suffix)
            if reason is None:
                yield path
            elif on_skip is not None:
                on_skip(path, reason)


def _walk(root: Path, skip: Path | None, follow_links: bool, on_error: Notify | None
          ) -> Iterator[tuple[Path, str | None, bool]]:
    """(path, None, False) for the files under `root` (not hidden), and (path, reason,
    is a folder) for links that are not followed."""
    def report(error: OSError) -> None:
        if on_error is not None:
            reason = (error.strerror or str(error)).lower()
            on_error(Path(error.filename or root), f"cannot list folder ({reason})")

    top = root.resolve()
    seen = {identity(root)}  # folders walked (or about to be), when links are followed
    for folder, dirnames, filenames in os.walk(root, onerror=report, followlinks=follow_links):
        here = Path(folder)
        kept = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            sub = here / name
            real = real_path(sub)
            if real is None or real == skip:
                continue
            if sub.is_symlink() and not follow_links:
                # a link within the folder is not followed: its target is walked anyway
                if leads_outside(sub, top):
                    yield sub, OUTSIDE, True
                continue
            if follow_links:
                key = identity(sub)
                if key in seen:  # a link loop, or a folder reached by another path
                    continue
                seen.add(key)
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if name.startswith("."):
                continue
            if not follow_links and path.is_symlink() and leads_outside(path, top):
                yield path, OUTSIDE, False  # a loop is yielded: the loader names the problem
                continue
            yield path, None, False
