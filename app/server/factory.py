"""The server's ASGI app: the web app, the OpenAI-compatible API and the documents API
behind the Guard (app/server/security.py); no CORS, no /docs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from app.server.security import LOCAL_HOSTS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from core.resources import Resources


def create_app(resources: Resources, *, allowed_hosts: frozenset[str] | None = LOCAL_HOSTS
               ) -> Any:
    """The app over `resources`; the API key is DOCENT_API_KEY of their settings.
    `allowed_hosts`: the Host names served (None: any, when bound to every interface)."""
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from app.server.answering import Answerer
    from app.server.ask_route import ask_router
    from app.server.conversations import Conversations
    from app.server.documents_routes import documents_router
    from app.server.errors import install_error_handlers
    from app.server.openai_routes import openai_router
    from app.server.security import Guard
    from app.server.web_routes import STATIC, web_router

    settings = resources.settings
    answerer = Answerer(resources)
    conversations = Conversations(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        conversations.close()

    app = FastAPI(title="docent", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(openai_router(answerer))
    app.include_router(ask_router(answerer))
    app.include_router(documents_router(resources))
    app.include_router(web_router(answerer, conversations, settings.api_key))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return Guard(app, api_key=settings.api_key, allowed_hosts=allowed_hosts,
                 max_file_mb=settings.max_file_mb)
