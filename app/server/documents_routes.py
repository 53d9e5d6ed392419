"""The documents: what is ingested (files and chunk counts), adding files by upload or by
a path on the server through the real ingest pipeline, removing one, and opening a
source: only a file the index holds can be read, never any other path. With
DOCENT_DATABASE_URL an upload's bytes are kept in the database, so that every replica
lists, serves and removes it (ingest/source_policy.py: `upload://NAME`)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, field_validator

from app.server.deps import ResourcesDep
from app.server.errors import Refused
from app.server.ingesting import report_dict
from app.server.security import upload_from_this_site
from core.errors import DocentError
from core.resources import Resources

if TYPE_CHECKING:
    from core.index.postgres.uploads import Upload, Uploads

# a file's bytes are served as what they are only for PDFs; anything else is shown as
# plain text, so an ingested HTML page cannot run script in the app's origin
SERVED_AS = {".pdf": "application/pdf"}
UPLOAD_NAME = re.compile(r"^[^/\\\x00]{1,200}$")


class PathRequest(BaseModel):
    path: str

    @field_validator("path")
    @classmethod
    def _a_path(cls, path: str) -> str:
        if not path.strip() or "\x00" in path:  # the OS would raise on a NUL
            raise ValueError("give a file or folder path on the server")
        return path


def _stored(resources: Resources) -> dict[str, int]:
    from core.index.store import store_exists
    from ingest.catalog import chunk_counts

    if not store_exists(resources.settings):
        return {}
    return chunk_counts(resources.store())


router = APIRouter(prefix="/api")


@router.get("/documents")
def documents(resources: ResourcesDep) -> dict[str, Any]:
    from ingest.loaders import LOADERS

    stored = _stored(resources)
    return {"files": [{"source": source, "name": PurePath(source).name, "chunks": count}
                      for source, count in stored.items()],
            "chunks": sum(stored.values()), "types": sorted(LOADERS)}


@router.post("/documents/upload", dependencies=[Depends(upload_from_this_site)])
async def upload(name: str, request: Request, resources: ResourcesDep) -> dict[str, Any]:
    """The request body is the file (Limits caps it at DOCENT_MAX_FILE_MB)."""
    from ingest.loaders import LOADERS
    from ingest.source_policy import database_uploads

    base = PurePath(name).name
    if not UPLOAD_NAME.match(name) or base != name or base.startswith("."):
        raise Refused(400, f"{name!r}: give a plain file name", "invalid_file_name")
    if PurePath(base).suffix.lower() not in LOADERS:
        raise Refused(415, f"{base}: unsupported file type; docent reads "
                      f"{', '.join(sorted(LOADERS))}", "unsupported_file_type")
    body = await request.body()
    if (stored := await asyncio.to_thread(database_uploads, resources.settings)) is not None:
        return await _upload_to_database(stored, base, body, request, resources)
    folder = resources.settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / base
    async with request.app.state.index_changes:
        await asyncio.to_thread(target.write_bytes, body)
        return await request.app.state.ingest(resources, [target])


async def _upload_to_database(stored: Uploads, name: str, body: bytes, request: Request,
                              resources: Resources) -> dict[str, Any]:
    """Keep the upload in the database, replacing one of its name, and ingest it from
    there; if no chunk of it is stored, the bytes it replaced (or none) are put back, so
    the bytes kept are always those the index holds."""
    from ingest.source_policy import upload_source

    async with request.app.state.index_changes:
        previous = await asyncio.to_thread(stored.get, name)
        await asyncio.to_thread(stored.put, name, body)
        try:
            report: dict[str, Any] = await request.app.state.ingest(
                resources, [upload_source(name)])
        except BaseException:
            _put_back(stored, name, previous)  # not awaited: the request may be cancelled
            raise
        if not report["chunks"]:  # not read, or nothing in it: the old chunks stay
            await asyncio.to_thread(_put_back, stored, name, previous)
        return report


def _put_back(stored: Uploads, name: str, previous: Upload | None) -> None:
    if previous is None:
        stored.delete(name)
    else:
        stored.put(name, previous.data)


@router.post("/documents/path")
async def add_path(body: PathRequest, request: Request, resources: ResourcesDep) -> dict[str, Any]:
    async with request.app.state.index_changes:
        return await request.app.state.ingest(
            resources, [Path(body.path).expanduser()])


@router.delete("/documents")
async def remove(source: str, request: Request, resources: ResourcesDep) -> dict[str, Any]:
    """Its chunks go from the index; an upload kept in the database goes from there too
    (after its chunks: a failure leaves nothing indexed without its bytes)."""
    from ingest.catalog import remove_source
    from ingest.source_policy import database_uploads, upload_name

    if source not in await asyncio.to_thread(_stored, resources):
        raise Refused(404, f"{source}: not in the index", "not_found")
    async with request.app.state.index_changes:
        report = await asyncio.to_thread(remove_source, resources.settings, source,
                                         resources.embeddings())
        if (name := upload_name(source)) is not None and (
                stored := await asyncio.to_thread(database_uploads, resources.settings)):
            await asyncio.to_thread(stored.delete, name)
    return report_dict(report)


@router.get("/sources/file", response_model=None)
def source_file(source: str, resources: ResourcesDep) -> Response:
    """An ingested file's bytes, read where it lies now only if the index still holds it
    there (ingest/source_policy.py: a file swapped for a link out of its folder is a 404),
    or an upload's from the database if the index holds those bytes. Answers name a
    source below the working directory relative to it (graphs/references.py)."""
    from ingest.source_policy import servable_path, servable_upload, upload_name

    if (name := upload_name(source)) is not None:
        try:
            upload = servable_upload(resources.store(), source)
        except DocentError:  # nothing ingested
            upload = None
        if upload is None:
            raise Refused(404, "not an ingested file", "not_found")
        quoted = quote(name)  # as FileResponse names a file
        disposition = (f'inline; filename="{name}"' if quoted == name
                       else f"inline; filename*=utf-8''{quoted}")
        return Response(upload.data, media_type=_media_type(name),
                        headers={"content-disposition": disposition})
    named = Path(source) if Path(source).is_absolute() else Path.cwd() / source
    try:
        path = servable_path(resources.store(), str(named))
    except DocentError:  # nothing ingested
        path = None
    if path is None:
        raise Refused(404, "not an ingested file", "not_found")
    return FileResponse(path, media_type=_media_type(path.name),
                        content_disposition_type="inline", filename=named.name)


def _media_type(name: str) -> str:
    return SERVED_AS.get(PurePath(name).suffix.lower(), "text/plain; charset=utf-8")


@router.get("/passages/{chunk_id}")
def passage(chunk_id: str, resources: ResourcesDep) -> dict[str, Any]:
    try:
        got = resources.store().vectorstore.get(ids=[chunk_id],
                                                include=["documents", "metadatas"])
    except DocentError as exc:
        raise Refused(404, str(exc), "not_found") from None
    if not got["ids"]:
        raise Refused(404, f"no passage {chunk_id}", "not_found")
    return {"chunk_id": chunk_id, "text": got["documents"][0],
            "metadata": got["metadatas"][0]}
