"""The one path policy: which file a stored `source` names, checked whenever it is used.

At ingest a file found in a folder is stored under its real path when that lies in the
folder, and under the path through the link (in the real folder) when `--follow-links`
read a link leading out (`source_of`). So the index needs no record of folders: a
source that names its real path was in its folder; one that does not came through a
followed link, and its chunks carry the hash of the bytes read then (`content_hash`).

The same rules are applied again when a source is used, since a file can be swapped for a
symlink (or its folder for a link) after it was ingested: `--prune` and `--watch` remove a
source that an ingest of its folder would no longer store under that name, or at all
(over the size cap) (`stale_reason`); the server serves only `servable_path`.

With DOCENT_DATABASE_URL a file uploaded through `serve` is no file of any replica's: its
bytes are kept in the database (core/index/postgres/uploads.py) and its source is
`upload://NAME` (`upload_source`), the same on every replica. Ingest reads it from there
(`load_upload`), the server serves it from there (`servable_upload`), and no path policy
applies to it: `--prune` and `--watch` reach only sources under their folders.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from core.index.postgres.uploads import Upload, Uploads
    from core.index.store import Store
    from core.settings import Settings
    from ingest.loaders import LoadContext

OUTSIDE = "symlink pointing outside the folder"
MISSING = "no such file or directory"
UPLOAD = "upload://"


def real_path(path: Path) -> Path | None:
    """Where `path` leads, or None for a symlink loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop (Python 3.11)
        return None


def leads_outside(path: Path, top: Path) -> bool:
    """Whether `path` now leads outside the real folder `top` (a link loop does not: the
    loader names that problem)."""
    real = real_path(path)
    return real is not None and not real.is_relative_to(top)


def source_of(path: Path, root: Path) -> str:
    """The `source` stored for `path`, found under `root`: its real path when that lies in
    the folder, else the path through the link (under the real folder), so `--prune` of
    the folder reaches it and the link's target is not what the index names."""
    real = real_path(path)
    if real is None:
        return str(path.absolute())
    if path == root:
        return str(real)
    top = root.resolve()
    return str(real) if real.is_relative_to(top) else str(top / path.relative_to(root))


def max_file_bytes(settings: Settings) -> int:
    """DOCENT_MAX_FILE_MB in bytes, as the loaders apply it (`ingest.loaders.load_file`)."""
    return int(settings.max_file_mb * 2**20)


def too_large(path: Path, max_bytes: int) -> bool:
    """Whether the file `path` is now over the size cap (`max_file_bytes`)."""
    try:
        return path.stat().st_size > max_bytes
    except (OSError, RuntimeError):  # gone, or a link loop: the caller names that
        return False


def stale_reason(source: str, top: Path, follow_links: bool, settings: Settings
                 ) -> str | None:
    """Why the chunks of `source`, stored from the real folder `top`, must go: an ingest of
    the folder now would not store that file under that name. None when they stay."""
    path = Path(source)
    if not path.exists():
        return MISSING  # deleted or moved away: the usual prune
    if not path.is_file():
        return "no longer a file: removed from the index"
    if too_large(path, max_file_bytes(settings)):
        return (f"grew past DOCENT_MAX_FILE_MB ({settings.max_file_mb:g} MB): removed from "
                "the index (its old text is no longer answered)")
    if leads_outside(path, top) and not follow_links:
        return f"now a {OUTSIDE}: removed from the index"
    if source_of(path, top) != source:
        return f"now leads to {real_path(path)}: removed from the index under this name"
    return None


def servable_path(store: Store, source: str) -> Path | None:
    """The real path to serve for `source` as `store` (the live index) holds it, or None:
    not indexed, gone, not a regular file, or now leading elsewhere than where it was
    ingested from (a source that named its real path must still be its real path; one read
    through a followed link must still lead to the bytes that were ingested)."""
    hashes = _stored_hashes(store, source)
    real = real_path(Path(source))
    if not hashes or real is None:
        return None
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            return None
        if str(real) == source:
            return real
        with real.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
    return real if digest in hashes else None


def _stored_hashes(store: Store, source: str) -> set[str]:
    """The content hashes of `source`'s chunks in `store` (empty: not indexed)."""
    from core.index.paging import get_all, storable_source

    if not storable_source(source):
        return set()
    found = get_all(store.vectorstore, ["metadatas"], {"source": source})
    return {str(meta.get("content_hash")) for meta in found["metadatas"] if meta}


def upload_source(name: str) -> str:
    """The source of the file uploaded as `name` when its bytes are in the database."""
    return UPLOAD + name


def upload_name(source: str) -> str | None:
    """The upload's file name if `source` names an upload kept in the database, else None."""
    return source.removeprefix(UPLOAD) if source.startswith(UPLOAD) else None


def database_uploads(settings: Settings) -> Uploads | None:
    """The uploads of the collection in the database; None without DOCENT_DATABASE_URL
    (uploads are then files in DATA_DIR/uploads, under the path policy above)."""
    from core.index.postgres.uploads import uploads

    return uploads(settings.database_url, settings.collection) if settings.database_url else None


def stored_upload(settings: Settings, source: str) -> Upload | None:
    """The bytes of the upload `source` names, or None: not an upload, or none stored."""
    name, stored = upload_name(source), database_uploads(settings)
    return None if name is None or stored is None else stored.get(name)


def load_upload(source: str, settings: Settings, context: LoadContext) -> list[Document]:
    """The documents of the upload `source`, read from the database's copy by the same
    loader and size cap as a file of its name."""
    from ingest.loaders import LoadError, load_file

    if not settings.database_url:
        raise LoadError(source, "uploads are kept in the database only with "
                        "DOCENT_DATABASE_URL")
    upload = stored_upload(settings, source)
    if upload is None:
        raise LoadError(source, "no such upload in the database")
    with tempfile.TemporaryDirectory(prefix="docent-upload-") as folder:
        path = Path(folder) / PurePath(source).name
        path.write_bytes(upload.data)
        try:
            return load_file(path, settings, context)
        except LoadError as exc:  # named by its source, not by the copy's path
            raise type(exc)(source, exc.reason) from None


def servable_upload(store: Store, source: str) -> Upload | None:
    """The upload to serve for `source`: kept in the database, with the bytes whose chunks
    `store` (the live index) holds; None otherwise."""
    upload = stored_upload(store.settings, source)
    if upload is None or upload.content_hash not in _stored_hashes(store, source):
        return None
    return upload
