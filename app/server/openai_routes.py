"""The OpenAI-compatible API: GET /v1/models and POST /v1/chat/completions (streamed as
`chat.completion.chunk` server-sent events ending in `[DONE]`, or whole).

The request's last user message is the question; an earlier user message is the
conversation it may refer back to, made standalone as `docent chat` does
(graphs/chat_followup.py).
An Open WebUI task prompt ("### Task:") is not a question: it gets `{}` (CLIENT_TASK), but a
question it wrapped in its RAG template is answered (typed_question); a request to continue
docent's last answer gets nothing more (NOTHING_TO_ADD).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.server.answer_format import FootnoteMarks, footnotes
from app.server.deps import AnswererDep
from app.server.errors import Refused, error_payload
from app.server.sse import event_stream, sse_data
from graphs.answer import Answer
from graphs.ask_options import AskOptions
from graphs.chat_followup import Turn, is_refusal, rewrite_followup

MODEL_ID = "docent"
# Open WebUI's background tasks (a chat's title, tags, follow-up suggestions) send their
# own prompt, marked so, to the chat's model: they get an empty JSON object, which Open
# WebUI reads as "none", instead of a RAG answer to its prompt (or a 400 for its length)
CLIENT_TASK = "### Task:"
CLIENT_TASK_REPLY = "{}"
# With a file (or a knowledge base, a web search) attached to a chat, Open WebUI puts its RAG
# template before the user's question in the same message: "### Task: … <context>the file's
# text</context>" then the question. docent answers from its own index, so the question is
# what follows the context; its task prompts quote the chat in <chat_history> instead.
CLIENT_CONTEXT_END = "</context>"
CLIENT_CHAT_HISTORY = "<chat_history>"
# Open WebUI's "Continue Response" sends the conversation ending in docent's answer: a checked
# answer is whole, so nothing is added (a 400 showed as an error under the answer)
NOTHING_TO_ADD = ""

router = APIRouter(prefix="/v1")


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


def typed_question(text: str) -> str:
    """The user's own words in a message: without Open WebUI's RAG template before them."""
    if text.startswith(CLIENT_TASK) and CLIENT_CHAT_HISTORY not in text:
        _, context_end, question = text.rpartition(CLIENT_CONTEXT_END)
        if context_end and question.strip():
            return question
    return text


def question_of(messages: list[ChatMessage]) -> tuple[str, str]:
    """The last user message as typed, and its standalone form when it depends on the turn
    before it (the rules `docent chat` uses; a refused turn is never merged into it)."""
    asked = typed_question(messages[-1].text()).strip()
    if not asked or messages[-1].role != "user":
        raise ValueError("the last message must be the user's question")
    turns = [Turn(question.text().strip(), reply.text(), is_refusal(reply.text()))
             for question, reply in pairwise(messages[:-1])
             if question.role == "user" and reply.role == "assistant"]
    return asked, rewrite_followup(asked, turns)


def continues_an_answer(messages: list[ChatMessage]) -> bool:
    """Whether the conversation ends in the assistant's reply to a question: a request to
    continue that reply."""
    return messages[-1].role == "assistant" and any(m.role == "user" for m in messages[:-1])


def _usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "total_tokens": answer.prompt_tokens + answer.completion_tokens}


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> str:
    return sse_data({**base, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                     **extra})


async def _events(first: str | Answer, rest: AsyncIterator[str | Answer],
                  base: dict[str, Any], include_usage: bool) -> AsyncIterator[str]:
    """OpenAI's chunks: the role, the checked text with footnote marks, the footnotes, the
    stop with the `docent` field, the usage when asked, then `[DONE]`."""
    marks = FootnoteMarks()
    yield _chunk(base, {"role": "assistant", "content": ""})
    item = first
    try:
        while not isinstance(item, Answer):
            if text := marks.feed(item):
                yield _chunk(base, {"content": text})
            item = await anext(rest)
    except Exception as exc:  # the 200 is sent: OpenAI clients raise on an `error` event
        yield sse_data(error_payload(exc)[1])
        return
    tail = marks.flush() + footnotes(item)
    if tail:
        yield _chunk(base, {"content": tail})
    yield _chunk(base, {}, "stop", docent=item.shown())
    if include_usage:
        yield sse_data({**base, "object": "chat.completion.chunk", "choices": [],
                        "usage": _usage(item)})
    yield "[DONE]"


def _completion(base: dict[str, Any], content: str, **extra: Any) -> dict[str, Any]:
    return {**base, "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}], **extra}


async def _fixed_events(base: dict[str, Any], content: str) -> AsyncIterator[str]:
    yield _chunk(base, {"role": "assistant", "content": content})
    yield _chunk(base, {}, "stop")
    yield "[DONE]"


def _fixed_reply(base: dict[str, Any], content: str, stream: bool) -> Response:
    """A reply that is not an answer from the documents, streamed or whole."""
    if stream:
        return event_stream(_fixed_events(base, content))
    return JSONResponse(_completion(base, content))


@router.get("/models")
def models() -> dict[str, Any]:
    return {"object": "list", "data": [
        {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "docent"}]}


@router.post("/chat/completions", response_model=None)
async def chat_completions(body: ChatRequest, answerer: AnswererDep) -> Response:
    if body.model != MODEL_ID:
        raise Refused(404, f"The model {body.model!r} does not exist; this server has "
                      f"{MODEL_ID!r}", "model_not_found")
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()),
            "model": MODEL_ID}
    if continues_an_answer(body.messages):
        return _fixed_reply(base, NOTHING_TO_ADD, body.stream)
    try:
        asked, question = question_of(body.messages)
    except ValueError as exc:
        raise Refused(400, str(exc), "invalid_request") from None
    if CLIENT_TASK in question:
        return _fixed_reply(base, CLIENT_TASK_REPLY, body.stream)
    options = body.docent or AskOptions()
    if not body.stream:
        answer = await answerer.answer_async(question, options, asked=asked)
        marks = FootnoteMarks()
        content = marks.feed(answer.answer) + marks.flush() + footnotes(answer)
        return JSONResponse(_completion(base, content, usage=_usage(answer),
                                        docent=answer.shown()))
    parts = answerer.stream(question, options, asked=asked)
    # the first piece before the 200: a bad question or an empty store is an HTTP error
    first = await anext(parts)
    include_usage = bool((body.stream_options or {}).get("include_usage"))
    return event_stream(_events(first, parts, base, include_usage))
