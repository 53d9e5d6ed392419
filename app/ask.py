"""Run the RAG graph for one question, streaming the answer as it is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from graphs.context import Context

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler

RESULT_KEYS = ("answer", "sources", "refused", "unsupported", "invalid_citations")


def ask(
    question: str,
    context: Context,
    stream: IO[str] | None = None,
    *,
    session_id: str | None = None,
    callbacks: Sequence[BaseCallbackHandler] = (),
) -> dict[str, Any]:
    """Answer `question`; with `stream`, write the tokens to it as they come.

    The run is one Langfuse trace when tracing is configured (see `app.tracing`).
    """
    from langchain_core.messages import AIMessageChunk

    from app.settings import get_settings
    from app.tracing import run_config
    from graphs.graph import graph

    state: dict[str, Any] = {}
    streamed = False
    parts: Any = graph.stream(
        {"question": question}, context=context, stream_mode=["messages", "custom", "values"],
        config=run_config(get_settings(), "ask", session_id=session_id, callbacks=callbacks),
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
    if result["sources"]:
        out.write("\nSources:\n")
    for number, src in enumerate(result["sources"], start=1):
        page = f", page {src['page']}" if src.get("page") else ""
        out.write(f"[{number}] {src['source']}{page}  (score {src['score']:.2f})\n")
