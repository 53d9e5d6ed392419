"""The one way the server answers: `app.ask.ask` (the same graph run as the CLI) in a
worker thread, its streamed text carried to the event loop as it is written.

Runs are serialised by one lock: a llama.cpp model answers one prompt at a time, so
concurrent requests queue here rather than fight over it.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from core.llm import estimate_tokens
from core.resources import Resources
from graphs.context import Context

DONE = object()


class QueueStream(io.TextIOBase):
    """A text stream whose writes (from a worker thread) land on an asyncio queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
        self.loop = loop
        self.queue = queue

    def write(self, text: str) -> int:
        if text:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, text)
        return len(text)


@dataclass
class Answer:
    """A finished run: `ask`'s result and the model's token usage."""

    result: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int


class Answerer:
    """Answers questions for the server's routes over one `Resources`."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self._lock = threading.Lock()

    def context(self, k: int | None = None, search_type: str | None = None) -> Context:
        return Context(k=k, search_type=search_type,  # type: ignore[arg-type]
                       resources=self.resources)

    def answer(self, question: str, context: Context, stream: io.TextIOBase | None = None,
               **ask_options: Any) -> Answer:
        """One blocking run (call from a worker thread)."""
        from app.ask import ask
        from core.run_stats import RunStats

        stats = RunStats()
        with self._lock:
            result = ask(question, context, stream=stream,  # type: ignore[arg-type]
                         callbacks=[stats], **ask_options)
        generated = stats.nodes.get("generate")
        prompt = generated.prompt_tokens if generated else 0
        completion = generated.completion_tokens if generated else 0
        # a fake or remote model may report no usage: the estimate stands in for it
        return Answer(result, prompt or estimate_tokens(result["question"]),
                      completion or estimate_tokens(str(result["answer"] or "")))

    async def answer_async(self, question: str, context: Context, **ask_options: Any
                           ) -> Answer:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, lambda: self.answer(question, context, **ask_options))

    async def stream(self, question: str, context: Context, **ask_options: Any
                     ) -> AsyncIterator[str | Answer]:
        """The answer's text as it is written, then the finished `Answer`; a run's error
        (an empty store, a missing model) is raised from the iteration."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stream = QueueStream(loop, queue)
        run = loop.run_in_executor(
            None, lambda: self.answer(question, context, stream, **ask_options))
        run.add_done_callback(lambda _: queue.put_nowait(DONE))
        while (item := await queue.get()) is not DONE:
            yield item
        yield run.result()
