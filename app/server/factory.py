"""The server's ASGI app: the web app, the OpenAI-compatible API and the documents API as
module-level routers, handed what they share through `app.state` (app/server/deps.py);
the key and the same-origin rule as router dependencies, the Host check and the limits as
middleware (app/server/security.py); no CORS, no /docs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from app.server.ingesting import IngestRun, in_child_process
from app.server.security import LOCAL_HOSTS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

    from core.resources import Resources


def create_app(resources: Resources, *, allowed_hosts: Sequence[str] = tuple(LOCAL_HOSTS),
               ingest: IngestRun = in_child_process) -> FastAPI:
    """The app over `resources`; the API key is DOCENT_API_KEY of their settings.
    `allowed_hosts`: the Host names served (app.server.security.allowed_hosts); `ingest`:
    where uploads and paths are ingested (app/server/ingesting.py)."""
    from fastapi import Depends, FastAPI
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from app.server import ask_route, documents_routes, openai_routes, web_routes
    from app.server.answering import Answerer
    from app.server.conversations import Conversations
    from app.server.errors import install_error_handlers
    from app.server.security import Limits, require_key, same_origin

    settings = resources.settings

    conversations = Conversations(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        conversations.close()

    app = FastAPI(title="docent", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan, dependencies=[Depends(same_origin)])
    app.state.settings = settings
    app.state.answerer = Answerer(resources)
    app.state.conversations = conversations
    # one change to the index at a time from this server (the ingest lock guards others)
    app.state.index_changes = asyncio.Lock()
    app.state.ingest = ingest
    install_error_handlers(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(web_routes.open_router)
    keyed = [Depends(require_key)]
    for module in (openai_routes, ask_route, documents_routes, web_routes):
        app.include_router(module.router, dependencies=keyed)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(Limits, max_file_mb=settings.max_file_mb)
    return app
