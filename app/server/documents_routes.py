"""The documents: what is ingested (files and chunk counts), adding files by upload or by
a path on the server through the real ingest pipeline, removing one, and opening a
source: only a file the index holds can be read, never any other path."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from core.errors import DocentError
from core.resources import Resources

# a file's bytes are served as what they are only for PDFs; anything else is shown as
# plain text, so an ingested HTML page cannot run script in the app's origin
SERVED_AS = {".pdf": "application/pdf"}
UPLOAD_NAME = re.compile(r"^[^/\\\x00]{1,200}$")


class PathRequest(BaseModel):
    path: str


def _stored(resources: Resources) -> dict[str, int]:
    from core.index.store import store_exists
    from ingest.catalog import chunk_counts

    if not store_exists(resources.settings):
        return {}
    return chunk_counts(resources.store())


def _report(report: Any) -> dict[str, Any]:
    return {**report.to_dict(), "exit_code": report.exit_code, "table": report.table()}


def documents_router(resources: Resources) -> APIRouter:
    from ingest.loaders import LOADERS

    router = APIRouter(prefix="/api")
    settings = resources.settings
    # one change to the index at a time from this server (the ingest lock guards others)
    changing = asyncio.Lock()

    def ingest(paths: list[Path]) -> dict[str, Any]:
        from ingest.pipeline import ingest_paths

        return _report(ingest_paths(paths, settings, model=resources.embeddings()))

    @router.get("/documents")
    def documents() -> dict[str, Any]:
        stored = _stored(resources)
        return {"files": [{"source": source, "name": PurePath(source).name, "chunks": count}
                          for source, count in stored.items()],
                "chunks": sum(stored.values()), "types": sorted(LOADERS)}

    @router.post("/documents/upload")
    async def upload(name: str, request: Request) -> dict[str, Any]:
        """The request body is the file (the Guard caps it at DOCENT_MAX_FILE_MB)."""
        base = PurePath(name).name
        if not UPLOAD_NAME.match(name) or base != name or base.startswith("."):
            raise HTTPException(400, f"{name!r}: give a plain file name")
        if PurePath(base).suffix.lower() not in LOADERS:
            raise HTTPException(415, f"{base}: unsupported file type; docent reads "
                                f"{', '.join(sorted(LOADERS))}")
        body = await request.body()
        folder = settings.uploads_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / base
        async with changing:
            await asyncio.to_thread(target.write_bytes, body)
            return await asyncio.to_thread(ingest, [target])

    @router.post("/documents/path")
    async def add_path(body: PathRequest) -> dict[str, Any]:
        async with changing:
            return await asyncio.to_thread(ingest, [Path(body.path).expanduser()])

    @router.delete("/documents")
    async def remove(source: str) -> dict[str, Any]:
        from ingest.catalog import remove_source

        if source not in await asyncio.to_thread(_stored, resources):
            raise HTTPException(404, f"{source}: not in the index")
        async with changing:
            report = await asyncio.to_thread(remove_source, settings, source,
                                             resources.embeddings())
        return _report(report)

    @router.get("/sources/file", response_model=None)
    def source_file(source: str) -> Response:
        """An ingested file's bytes; any path the index does not hold is a 404. Answers
        name a source below the working directory relative to it (graphs/references.py)."""
        path = Path(source) if Path(source).is_absolute() else Path.cwd() / source
        if str(path) not in _stored(resources) or not path.is_file():
            raise HTTPException(404, "not an ingested file")
        media = SERVED_AS.get(path.suffix.lower(), "text/plain; charset=utf-8")
        return FileResponse(path, media_type=media, content_disposition_type="inline",
                            filename=path.name)

    @router.get("/passages/{chunk_id}")
    def passage(chunk_id: str) -> dict[str, Any]:
        try:
            got = resources.store().vectorstore.get(ids=[chunk_id],
                                                    include=["documents", "metadatas"])
        except DocentError as exc:
            raise HTTPException(404, str(exc)) from None
        if not got["ids"]:
            raise HTTPException(404, f"no passage {chunk_id}")
        return {"chunk_id": chunk_id, "text": got["documents"][0],
                "metadata": got["metadatas"][0]}

    return router
