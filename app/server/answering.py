"""The one way the server answers: `graphs.runner.answer` (the same run as the CLI's) in
a worker thread, its checked text carried to the event loop as soon as it is final.

Runs are serialised by one lock: a llama.cpp model answers one prompt at a time, so
concurrent requests queue here rather than fight over it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from core.resources import Resources

if TYPE_CHECKING:
    from graphs.answer import Answer, Event
    from graphs.ask_options import AskOptions

DONE = object()


class Answerer:
    """Answers questions for the server's routes over one `Resources`."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self._lock = threading.Lock()

    def answer(self, question: str, options: AskOptions, on_event: Any = None,
               **run: Any) -> Answer:
        """One blocking run (call from a worker thread); `run`: the runner's keywords (the chat
        graph and thread, the words typed)."""
        from graphs.runner import answer

        with self._lock:
            return answer(question, options.context(self.resources), on_event, **run)

    async def answer_async(self, question: str, options: AskOptions, **run: Any) -> Answer:
        return await asyncio.to_thread(self.answer, question, options, **run)

    async def stream(self, question: str, options: AskOptions, **run: Any
                     ) -> AsyncIterator[str | Answer]:
        """The answer's checked text once it is final, then the `Answer`; a run's error
        (an empty store, a missing model) is raised from the iteration."""
        from graphs.answer import Checked

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def heard(event: Event) -> None:
            if isinstance(event, Checked) and event.text:
                loop.call_soon_threadsafe(queue.put_nowait, event.text)

        running = asyncio.ensure_future(asyncio.to_thread(self.answer, question, options,
                                                          heard, **run))
        running.add_done_callback(lambda _: queue.put_nowait(DONE))
        while (item := await queue.get()) is not DONE:
            yield item
        yield running.result()
