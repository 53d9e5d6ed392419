"""POST /api/ask: one question, no conversation, for `docent ask` in another process
(app/remote_ask.py): the checked text, then the whole `Answer` as its model_dump."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.server.answering import Answerer
from app.server.web_routes import AskRequest, answer_events


def ask_router(answerer: Answerer) -> APIRouter:
    router = APIRouter()

    @router.post("/api/ask")
    async def ask(body: AskRequest) -> StreamingResponse:
        parts = answerer.stream(body.question, body)
        return StreamingResponse(answer_events(parts, lambda answer: answer.model_dump()),
                                 media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    return router
