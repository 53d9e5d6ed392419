"""HTML pages: the main text without navigation or scripts, tables as Markdown tables."""

from __future__ import annotations

from langchain_core.documents import Document

from ingest.loaders.common import LoadContext, LoadError, decode_text, single
from ingest.loaders.tables import markdown_table

NOISE_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
              "template", "iframe", "svg"]


def _tables_to_markdown(soup: object) -> None:
    """Replace each `<table>` by its Markdown form, innermost first (so rows stay rows)."""
    for table in reversed(soup.find_all("table")):  # type: ignore[attr-defined]
        rows = [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                for row in table.find_all("tr")]
        table.replace_with(f"\n\n{markdown_table(rows)}\n\n")


def html_to_text(markup: str, selector: str = "") -> tuple[str, str | None]:
    """Main text of an HTML page (or of the elements matching `selector`), and its title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, features="html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(NOISE_TAGS):
        tag.decompose()
    _tables_to_markdown(soup)
    parts: list = (list(soup.select(selector)) if selector
                   else [soup.find("main") or soup.find("article") or soup.body or soup])
    lines = (line.strip() for part in parts for line in part.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line), title


def load_html(
    source: str, data: bytes, context: LoadContext, charset: str | None = None
) -> list[Document]:
    markup = context.budget.text(decode_text(source, data, charset))  # all of it is parsed
    try:
        text, title = html_to_text(markup, context.html_selector)
    except RecursionError:
        raise LoadError(source, "HTML nested too deeply to parse") from None
    if not text.strip() and context.html_selector:
        raise LoadError(source, f"no text matches the CSS selector {context.html_selector!r} "
                                "(DOCENT_HTML_SELECTOR)")
    return single(source, text, "text/html", data, title=title)
