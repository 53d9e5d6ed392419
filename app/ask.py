"""Run the RAG graph for one question, streaming the answer as it is written."""

from __future__ import annotations

import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from graphs.context import Context

if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler

    from core.resources import Resources

RESULT_KEYS = ("answer", "answer_kind", "evidence", "sources", "refused", "warnings",
               "unsupported", "invalid_citations", "dropped_passages")
LIST_KEYS = ("evidence", "sources", "warnings", "unsupported", "invalid_citations",
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
    An empty or overlong question raises `QuestionError` before any model loads.
    """
    from langchain_core.messages import AIMessageChunk

    from graphs.question import check_question

    question = check_question(question)  # before anything loads: a bad one fails at once

    from core.resources import default_resources
    from core.tracing import run_config
    from graphs.graph import graph as rag_graph

    resources = context.resources or default_resources()
    config = run_config(resources.settings, "ask", session_id=session_id, callbacks=callbacks)
    if session_id is not None:
        config["configurable"] = {"thread_id": session_id}

    def run(pinned: Resources) -> tuple[dict[str, Any], str]:
        state: dict[str, Any] = {}
        streamed = ""
        parts: Any = (rag_graph if graph is None else graph).stream(
            {"question": question}, context=replace(context, resources=pinned),
            stream_mode=["messages", "custom", "values"], config=config,
        )
        for mode, payload in parts:
            match mode:
                case "values":
                    state = payload
                case "messages" if stream is not None:
                    chunk, meta = payload
                    if (meta.get("langgraph_node") == "generate"
                            and isinstance(chunk, AIMessageChunk)):
                        streamed += _write(stream, str(chunk.content))
                case "custom" if stream is not None:
                    streamed += _write(stream, payload["token"])
        return state, streamed

    # one index snapshot for the whole run, retried once if another process replaced it
    state, streamed = resources.on_one_index(run)
    result = {key: state.get(key) for key in RESULT_KEYS}
    for key in LIST_KEYS:
        result[key] = result[key] or []
    result["question"] = state.get("question", question)  # the chat graph's standalone form
    if stream is not None:
        _finish(stream, streamed, str(result["answer"]))
    return result


def _write(stream: IO[str], text: str) -> str:
    stream.write(text)
    stream.flush()
    return text


def _finish(stream: IO[str], streamed: str, answer: str) -> None:
    """The shown answer once: the rest of it after the streamed draft (its citation), or,
    when the draft was not shown as the answer, the answer instead of the draft: on a
    terminal the draft is erased, elsewhere (a pipe, a log) the answer follows on a line of
    its own, so the record keeps what was streamed."""
    draft = streamed.strip()
    if not draft:
        stream.write(answer)
    elif answer.startswith(draft):
        stream.write(answer[len(draft):])
    elif stream.isatty():
        stream.write(_erase(streamed, shutil.get_terminal_size().columns) + answer)
    else:
        stream.write(f"\n→ {answer}")


def _erase(written: str, columns: int) -> str:
    """The terminal codes that clear the rows `written` took, from its last row up, leaving
    the cursor where it began (a wide character, Hangul among them, takes two columns)."""
    def width(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    rows = sum(max(1, -(-width(line) // columns)) for line in written.split("\n"))
    return "\r\033[K" + "\033[A\033[K" * (rows - 1)


def print_report(result: dict[str, Any], out: IO[str]) -> None:
    """After the answer: why it was replaced if it was, the evidence, and the sources."""
    from graphs.locator import cited

    out.write("\n")
    for warning in result["warnings"]:
        out.write(f"warning: {warning}\n")
    if dropped := result["dropped_passages"]:
        names = ", ".join(src["source"] for src in dropped)
        out.write(f"warning: {len(dropped)} passage(s) did not fit the context window "
                  f"(DOCENT_LLM_CONTEXT_WINDOW) and were left out: {names}\n")
    if result["evidence"] and result["answer_kind"] != "evidence":
        out.write("\nEvidence:\n")
        for item in result["evidence"]:
            out.write(f"[{item['passage']}] “{item['text']}” "
                      f"({cited(item['source'], item['locator'])})\n")
    if result["sources"]:
        out.write("\nSources:\n")
    for number, src in enumerate(result["sources"], start=1):
        out.write(f"[{number}] {cited(src['source'], src['locator'])}  "
                  f"(score {src['score']:.2f})\n")
