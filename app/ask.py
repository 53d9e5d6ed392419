"""Run the RAG graph for one question, streaming the answer as it is written."""

from __future__ import annotations

from typing import IO, Any

from graphs.context import Context


def ask(question: str, context: Context, stream: IO[str] | None = None) -> dict[str, Any]:
    """Answer `question`; with `stream`, write tokens to it as they come."""
    from langchain_core.messages import AIMessageChunk

    from graphs.graph import graph

    result: dict[str, Any] = {}
    for mode, payload in graph.stream(
        {"question": question}, context=context, stream_mode=["messages", "custom", "values"]
    ):
        match mode:
            case "values":
                result = payload
            case "messages" if stream is not None:
                chunk, meta = payload
                if meta.get("langgraph_node") == "generate" and isinstance(chunk, AIMessageChunk):
                    stream.write(str(chunk.content))
                    stream.flush()
            case "custom" if stream is not None:
                stream.write(payload["token"])
                stream.flush()
    if stream is not None:
        stream.write(("" if result.get("refused") is False else result.get("answer", "")) + "\n")
    return {"answer": result.get("answer", ""), "sources": result.get("sources", []),
            "refused": result.get("refused", False)}


def print_sources(result: dict[str, Any], out: IO[str]) -> None:
    if result["sources"]:
        out.write("\nSources:\n")
    for number, src in enumerate(result["sources"], start=1):
        page = f", page {src['page']}" if src.get("page") else ""
        out.write(f"[{number}] {src['source']}{page}\n")
