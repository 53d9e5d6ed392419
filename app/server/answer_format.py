"""An answer as chat clients show it: citations [n] as Markdown footnote marks [^n], and
the sources as footnotes (the structured `docent` field is `Answer.shown()`)."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import TYPE_CHECKING

from graphs.locator import cited

if TYPE_CHECKING:
    from graphs.answer import Answer

CITATION = re.compile(r"\[(\d{1,3})\]")
# a citation cut by the end of a streamed piece: "[" or "[1" waits for the next piece
OPEN_CITATION = re.compile(r"\[\d{0,3}$")


class FootnoteMarks:
    """Rewrites [n] to [^n] in text that arrives in pieces."""

    def __init__(self) -> None:
        self.held = ""

    def feed(self, text: str) -> str:
        text = self.held + text
        cut = OPEN_CITATION.search(text)
        self.held = text[cut.start():] if cut else ""
        return CITATION.sub(r"[^\1]", text[:cut.start()] if cut else text)

    def flush(self) -> str:
        held, self.held = self.held, ""
        return held


def source_label(source: str, where: str | None) -> str:
    """The file's name (a URL whole) and where in it: "deck.pptx, slide 3"."""
    return cited(PurePath(source).name if "://" not in source else source, where)


def footnotes(answer: Answer) -> str:
    """One footnote per source, quoting its evidence that holds the answer (empty for a
    refusal)."""
    if answer.refused or not answer.sources:
        return ""
    lines = []
    for number, src in enumerate(answer.sources, start=1):
        quotes = " ".join(f"“{item['text']}”" for item in answer.supporting(number))
        note = f"[^{number}]: {source_label(src['source'], src['locator'])}"
        lines.append(f"{note} — {quotes}" if quotes else note)
    return "\n\n" + "\n".join(lines)
