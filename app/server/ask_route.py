"""POST /api/ask: one question, no conversation, for `docent ask` in another process
(app/remote_ask.py): the tokens as they come, then the whole result as `ask` returns it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.ask import RESULT_KEYS
from app.server.answering import Answerer
from app.server.web_routes import AskRequest, answer_events


def whole_result(result: dict[str, Any]) -> dict[str, Any]:
    """Every field `ask` returns, so the CLI prints what it prints in-process."""
    return {key: result.get(key) for key in (*RESULT_KEYS, "question")}


def ask_router(answerer: Answerer) -> APIRouter:
    router = APIRouter()

    @router.post("/api/ask")
    async def ask(body: AskRequest) -> StreamingResponse:
        parts = answerer.stream(body.question, answerer.context(body.k, body.search_type))
        return StreamingResponse(answer_events(parts, whole_result),
                                 media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    return router
