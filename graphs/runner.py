"""The one runner under every door: run a graph for one question and return its `Answer`.

Doors (the CLI, chat, the server's routes, MCP) pass `on_event` to hear the run's steps
and, once every check has passed, the answer's text; the model's draft is never handed
out as text to show (a small model's draft was wrong in 4 of 5 streamed `/v1` answers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from graphs.answer import Answer, Checked, Event, Step
from graphs.context import Context

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler

    from core.resources import Resources


def answer(
    question: str,
    context: Context,
    on_event: Callable[[Event], None] | None = None,
    *,
    graph: Any = None,
    thread_id: str | None = None,
    callbacks: Sequence[BaseCallbackHandler] = (),
    asked: str | None = None,
) -> Answer:
    """Answer `question` with the RAG graph, or `graph` (the chat graph, whose checkpointer
    keeps `thread_id`'s conversation); `asked`: the words typed, when the door already made
    them the standalone `question` (`/v1`'s history). The run is one Langfuse trace when tracing is
    configured. An empty or overlong question raises `QuestionError` from the graph's first
    node, before anything loads.
    """
    from core.llm import estimate_tokens
    from core.resources import default_resources
    from core.run_stats import RunStats
    from core.tracing import run_config
    from graphs.graph import graph as rag_graph

    emit = on_event or (lambda _: None)
    stats = RunStats()
    resources = context.resources or default_resources()
    config = run_config(resources.settings, "ask", session_id=thread_id,
                        callbacks=[stats, *callbacks])
    if thread_id is not None:
        config["configurable"] = {"thread_id": thread_id}

    def run(index: Resources) -> dict[str, Any]:
        output: dict[str, Any] = {}
        # "updates": what each node of this run returned (a checkpointed thread's earlier
        # turns leave values in the state that this turn's nodes may not overwrite)
        for update in (graph or rag_graph).stream(
                {"question": question}, context=replace(context, resources=index),
                stream_mode="updates", config=config):
            for node, returned in update.items():
                output.update(returned or {})
                emit(Step(node))
        return output

    # one index snapshot for the whole run, retried once if another process replaced it
    output = resources.on_one_index(run)
    used = stats.nodes.get("generate")
    result = Answer.from_run(asked or question, output, question=question,
                             prompt_tokens=(used and used.prompt_tokens) or 0,
                             completion_tokens=(used and used.completion_tokens) or 0)
    if not result.prompt_tokens:  # a fake or remote model may report no usage
        result = result.model_copy(update={
            "prompt_tokens": estimate_tokens(result.question),
            "completion_tokens": estimate_tokens(result.answer)})
    emit(Checked(result.answer))
    return result
