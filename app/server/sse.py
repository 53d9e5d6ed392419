"""Server-sent events through sse-starlette: each event one `data: {json}` line and a blank
line (`\n`, as OpenAI's streams and the web app's reader split them)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from sse_starlette import EventSourceResponse

from app.server.answering import Answerer
from app.server.errors import error_payload
from graphs.answer import Answer


def sse_data(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def event_stream(events: AsyncIterator[str]) -> EventSourceResponse:
    return EventSourceResponse(events, sep="\n", headers={"cache-control": "no-cache"})


async def answer_events(parts: AsyncIterator[str | Answer],
                        shown: Callable[[Answer], dict[str, Any]]) -> AsyncIterator[str]:
    """An answer as events: {"token"} (checked text only), then {"result": shown(answer)},
    or {"error": one line} when the run fails (an empty store, a missing model)."""
    try:
        async for item in parts:
            if isinstance(item, Answer):
                yield sse_data({"result": shown(item)})
            else:
                yield sse_data({"token": item})
    except Exception as exc:  # the 200 is sent: the reason goes in the stream
        yield sse_data({"error": error_payload(exc)[1]["error"]["message"]})


def answer_stream(answerer: Answerer, question: str, options: Any,
                  shown: Callable[[Answer], dict[str, Any]], **run: Any) -> EventSourceResponse:
    return event_stream(answer_events(answerer.stream(question, options, **run), shown))
