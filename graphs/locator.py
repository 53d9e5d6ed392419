"""Where in its file a passage stands, as every surface words it ("deck.pptx, slide 3").
Standard library only: `ask` through a running serve prints its sources without LangChain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# the chunk metadata that says where in its file a chunk stands, as the loaders store it:
# PDF `page`, PPTX `slide` (both 1-based), XLSX `sheet` (its name), EPUB `section`
# (chapter), CSV `row` (1-based); XLSX `rows` ("7", "120–141") words the sheet's place
LOCATOR_KEYS = ("page", "slide", "sheet", "section", "row")


def locator(metadata: Mapping[str, Any]) -> str | None:
    """Where in its file a chunk stands, as shown: "page 4", "slide 3", "sheet Q3, rows
    120–141", "section 2", "row 5"; None for a file read as one piece (Markdown, HTML,
    DOCX, ...)."""
    for key in LOCATOR_KEYS:
        if (value := metadata.get(key)) not in (None, ""):
            if key == "sheet" and (rows := metadata.get("rows")):
                return f"sheet {value}, {'rows' if '–' in str(rows) else 'row'} {rows}"
            return f"{key} {value}"
    return None


def cited(name: str, where: str | None) -> str:
    """A source as the reader sees it: "deck.pptx, slide 3", or the name alone."""
    return f"{name}, {where}" if where else name
