"""Run the RAG graph for one question, streaming the answer as it is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from graphs.context import Context

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler

RESULT_KEYS = ("answer", "sources", "refused", "unsupported", "invalid_citations",
               "dropped_passages")


def ask(
    question: str,
    context: Context,
    stream: IO[str] | None = None,
    *,
    session_id: str | None = None,
    callbacks: Sequence[BaseCallbackHandler] = (),
    graph: Any = None,
) -> dict[str, Any]:
    """Answer `question`; with `stream`, write the tokens to it as they come.

    The run is one Langfuse trace when tracing is configured (see `core.tracing`).
    `graph` defaults to the RAG graph; the chat graph keeps `session_id`'s thread.
    `context.resources` names the store and model (default: the installation's).
    """
    from langchain_core.messages import AIMessageChunk

    from core.resources import default_resources
    from core.tracing import run_config
    from graphs.graph import graph as rag_graph

    state: dict[str, Any] = {}
    streamed = False
    settings = (context.resources or default_resources()).settings
    config = run_config(settings, "ask", session_id=session_id, callbacks=callbacks)
    if session_id is not None:
        config["configurable"] = {"thread_id": session_id}
    parts: Any = (rag_graph if graph is None else graph).stream(
        {"question": question}, context=context, stream_mode=["messages", "custom", "values"],
        config=config,
    )
    for mode, payload in parts:
        match mode:
            case "values":
                state = payload
            case "messages" if stream is not None:
                chunk, meta = payload
                if meta.get("langgraph_node") == "generate" and isinstance(chunk, AIMessageChunk):
                    stream.write(str(chunk.content))
                    stream.flush()
                    streamed = True
            case "custom" if stream is not None:
                stream.write(payload["token"])
                stream.flush()
                streamed = True
    result = {key: state.get(key) for key in RESULT_KEYS}
    result["sources"] = result["sources"] or []
    result["unsupported"] = result["unsupported"] or []
    result["invalid_citations"] = result["invalid_citations"] or []
    result["dropped_passages"] = result["dropped_passages"] or []
    result["question"] = state.get("question", question)  # the chat graph's standalone form
    if stream is not None and not streamed:
        stream.write(str(result["answer"]))
    return result


def print_report(result: dict[str, Any], out: IO[str], streamed: bool = True) -> None:
    """After the streamed answer: the cited answer, warnings and numbered sources."""
    out.write("\n")
    if streamed and result["sources"]:
        out.write(f"\nAnswer with citations: {result['answer']}\n")
    for sentence in result["unsupported"]:
        out.write(f"warning: not supported by the passages: {sentence}\n")
    for number in result["invalid_citations"]:
        out.write(f"warning: the answer cites [{number}], which does not exist\n")
    if dropped := result["dropped_passages"]:
        names = ", ".join(src["source"] for src in dropped)
        out.write(f"warning: {len(dropped)} passage(s) did not fit the context window "
                  f"(DOCENT_LLM_CONTEXT_WINDOW) and were left out: {names}\n")
    if result["sources"]:
        out.write("\nSources:\n")
    for number, src in enumerate(result["sources"], start=1):
        page = f", page {src['page']}" if src.get("page") else ""
        out.write(f"[{number}] {src['source']}{page}  (score {src['score']:.2f})\n")
