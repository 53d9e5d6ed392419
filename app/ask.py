"""How `docent ask` and `docent chat` print an answer: the checked answer once, then why
it was quoted if it was, the evidence and the sources.

The printers take an answer as `graphs.answer.Answer.model_dump()` gives it (what a
running server sends too), so `ask` through a server prints without loading LangChain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any


def print_answer(result: Mapping[str, Any], out: IO[str]) -> None:
    """The answer, then the report."""
    out.write(str(result["answer"]))
    print_report(result, out)


def print_report(result: Mapping[str, Any], out: IO[str]) -> None:
    """After the answer: why it was quoted if it was, the evidence, and the sources."""
    from graphs.locator import cited

    out.write("\n")
    for warning in result["warnings"]:
        out.write(f"note: {warning}\n")
    if dropped := result["dropped_passages"]:
        names = ", ".join(src["source"] for src in dropped)
        out.write(f"note: {len(dropped)} passage(s) did not fit the context window "
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
