"""POST /api/ask: one question, no conversation, for `docent ask` in another process
(app/remote_ask.py): the tokens as they come, then the whole result as `ask` returns it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.ask import RESULT_KEYS
from app.server.answering import Answer, Answerer
from app.server.web_routes import AskRequest, sse_event
from core.errors import DocentError


def ask_router(answerer: Answerer) -> APIRouter:
    router = APIRouter()

    @router.post("/api/ask")
    async def ask(body: AskRequest) -> StreamingResponse:
        context = answerer.context(body.k, body.search_type)

        async def events() -> AsyncIterator[str]:
            try:
                async for item in answerer.stream(body.question, context):
                    if isinstance(item, Answer):
                        yield sse_event({"result": {key: item.result.get(key)
                                                 for key in (*RESULT_KEYS, "question")}})
                    else:
                        yield sse_event({"token": item})
            except DocentError as exc:
                yield sse_event({"error": str(exc)})

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    return router
