"""The OpenAI-compatible API: GET /v1/models and POST /v1/chat/completions (streamed as
`chat.completion.chunk` server-sent events ending in `[DONE]`, or whole).

The request's last user message is the question; an earlier user message is the
conversation it may refer back to, made standalone as `docent chat` does
(graphs/chat_followup.py).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.server.answer_format import FootnoteMarks, footnotes
from app.server.answering import Answerer
from app.server.errors import error_response, unavailable
from core.errors import DocentError
from graphs.answer import Answer
from graphs.ask_options import AskOptions
from graphs.chat_followup import refers_back, standalone_question

MODEL_ID = "docent"


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: only the text ones count
            return " ".join(str(part.get("text", "")) for part in self.content
                            if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p ...: docent picks its own

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    docent: AskOptions | None = None  # docent's own (the OpenAI fields have no room)


def question_of(messages: list[ChatMessage]) -> str:
    """The last user message, standalone when it refers back to the one before it."""
    asked = [m.text().strip() for m in messages if m.role == "user" and m.text().strip()]
    if not asked or messages[-1].role != "user":
        raise ValueError("the last message must be the user's question")
    question = asked[-1]
    if len(asked) > 1 and refers_back(question):
        return standalone_question(question, asked[-2])
    return question


def _usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "total_tokens": answer.prompt_tokens + answer.completion_tokens}


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> str:
    body = {**base, "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


async def _events(first: str | Answer, rest: AsyncIterator[str | Answer],
                  base: dict[str, Any], include_usage: bool) -> AsyncIterator[str]:
    marks = FootnoteMarks()
    yield _chunk(base, {"role": "assistant", "content": ""})
    item = first
    while not isinstance(item, Answer):
        if text := marks.feed(item):
            yield _chunk(base, {"content": text})
        item = await anext(rest)
    tail = marks.flush() + footnotes(item)
    if tail:
        yield _chunk(base, {"content": tail})
    yield _chunk(base, {}, "stop", docent=item.shown())
    if include_usage:
        body = {**base, "object": "chat.completion.chunk", "choices": [],
                "usage": _usage(item)}
        yield f"data: {json.dumps(body)}\n\n"
    yield "data: [DONE]\n\n"


def openai_router(answerer: Answerer) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "docent"}]}

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(body: ChatRequest, request: Request
                               ) -> JSONResponse | StreamingResponse:
        if body.model != MODEL_ID:
            return error_response(404, f"The model {body.model!r} does not exist; this "
                                  f"server has {MODEL_ID!r}", "model_not_found")
        try:
            question = question_of(body.messages)
        except ValueError as exc:
            return error_response(400, str(exc), "invalid_request")
        options = body.docent or AskOptions()
        base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()),
                "model": MODEL_ID}
        if not body.stream:
            try:
                answer = await answerer.answer_async(question, options)
            except DocentError as exc:
                return unavailable(exc)
            marks = FootnoteMarks()
            content = marks.feed(answer.answer) + marks.flush()
            return JSONResponse({
                **base, "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {
                    "role": "assistant",
                    "content": content + footnotes(answer)}}],
                "usage": _usage(answer), "docent": answer.shown()})
        parts = answerer.stream(question, options)
        try:  # the first piece before the 200: an empty store is an error, not a stream
            first = await anext(parts)
        except DocentError as exc:
            return unavailable(exc)
        include_usage = bool((body.stream_options or {}).get("include_usage"))
        return StreamingResponse(_events(first, parts, base, include_usage),
                                 media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    return router

