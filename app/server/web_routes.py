"""The web app: its static page, the setup status (with the command that fixes what is
missing), the key form, and conversations whose answers stream as server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse

from app.server.answering import Answerer
from app.server.conversations import Conversations
from app.server.security import KEY_COOKIE
from core.errors import DocentError
from graphs.answer import Answer
from graphs.ask_options import Question

STATIC = Path(__file__).parent / "static"
INGEST_FIX = "python -m app ingest PATH (or add files in the Documents panel)"


class AskRequest(Question):
    """A question from the web app or `docent ask`: the options a run may carry."""


def sse_event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def answer_events(parts: AsyncIterator[str | Answer],
                        shown: Callable[[Answer], dict[str, Any]]) -> AsyncIterator[str]:
    """An answer as server-sent events: {"token"} as written, then {"result": shown(result)},
    or {"error"} when the run fails (an empty store, a missing model)."""
    try:
        async for item in parts:
            if isinstance(item, Answer):
                yield sse_event({"result": shown(item)})
            else:
                yield sse_event({"token": item})
    except DocentError as exc:
        yield sse_event({"error": str(exc)})


def setup_status(answerer: Answerer) -> dict[str, Any]:
    """Whether docent can answer, and if not, the command that fixes it."""
    from core.index.store import store_exists
    from core.model_files import resolve_gguf

    settings = answerer.resources.settings
    problems = []
    if not store_exists(settings):
        problems.append(f"Nothing is ingested yet. Run: {INGEST_FIX}")
    if settings.llm_backend == "llamacpp":
        try:
            resolve_gguf(settings.llm_model)
        except DocentError as exc:
            problems.append(f"{exc}. Run: python -m app models (or set DOCENT_LLM_MODEL), "
                            "then python -m app doctor")
    return {"ready": not problems, "problems": problems,
            "defaults": {"k": settings.k, "search_type": "similarity"}}


def web_router(answerer: Answerer, conversations: Conversations, api_key: str) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_model=None)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    @router.get("/login", response_class=HTMLResponse)
    def login_form() -> str:
        return (STATIC / "login.html").read_text(encoding="utf-8")

    @router.post("/login", response_model=None)
    def login(key: str = Form(...)) -> RedirectResponse:
        import hmac

        if not api_key or not hmac.compare_digest(key.encode(), api_key.encode()):
            raise HTTPException(401, "wrong key")
        done = RedirectResponse("/", status_code=303)
        done.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
        return done

    @router.get("/api/status")
    def status() -> dict[str, Any]:
        return setup_status(answerer)

    @router.get("/api/conversations")
    def threads() -> dict[str, Any]:
        return {"conversations": conversations.threads()}

    @router.get("/api/conversations/{thread_id}")
    def thread(thread_id: str) -> dict[str, Any]:
        return {"id": thread_id, "messages": conversations.messages(thread_id)}

    @router.delete("/api/conversations/{thread_id}")
    def delete(thread_id: str) -> dict[str, Any]:
        conversations.delete(thread_id)
        return {"deleted": thread_id}

    @router.post("/api/conversations/{thread_id}/ask")
    async def ask(thread_id: str, body: AskRequest) -> StreamingResponse:
        parts = answerer.stream(body.question, body, thread_id=thread_id,
                                graph=conversations.graph)
        return StreamingResponse(answer_events(parts, Answer.shown),
                                 media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    return router
