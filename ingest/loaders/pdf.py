"""PDF files: one document per page, with form-field values, ruled tables as Markdown, and
OCR for pages without a text layer."""

from __future__ import annotations

import io
import logging
from typing import Any

from langchain_core.documents import Document

from ingest.loaders.common import LoadContext, LoadError, content_hash, metadata
from ingest.loaders.ocr import INSTALL, ocr_languages, read_pages
from ingest.loaders.tables import PageLayout

MIME = "application/pdf"


def _numbers(pages: list[int]) -> str:
    return ", ".join(map(str, pages[:10])) + (", …" if len(pages) > 10 else "")


def _form_fields(page: Any) -> list[str]:
    """`name: value` for the filled form fields (AcroForm widgets) on a pypdf page."""
    lines: list[str] = []
    annotations = page.get("/Annots")
    if annotations is None:
        return lines
    for ref in annotations.get_object():
        widget = ref.get_object()
        if widget.get("/Subtype") != "/Widget":
            continue
        name, value, node = None, None, widget
        for _ in range(16):  # /T and /V are inherited from parents; a loop must end
            name = name or node.get("/TU") or node.get("/T")
            value = value if value is not None else node.get("/V")
            if "/Parent" not in node:
                break
            node = node["/Parent"].get_object()
        text = _field_value(value)
        line = f"{name}: {text}" if name else text
        if text and line not in lines:
            lines.append(line)
    return lines


def _has_image(resources: Any, depth: int = 0) -> bool:
    """Whether page resources hold an image (in forms too, 3 deep): a page without one
    has nothing for OCR to read, however blank it is."""
    try:
        objects = resources.get_object().get("/XObject") if resources is not None else None
        for ref in (objects.get_object().values() if objects is not None else ()):
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image" or (
                    depth < 3 and xobject.get("/Subtype") == "/Form"
                    and _has_image(xobject.get("/Resources"), depth + 1)):
                return True
    except Exception:  # damaged resources: let OCR try the page
        return True
    return False


def _field_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(filter(None, map(_field_value, value)))
    text = str(value).strip()
    if text.startswith("/"):  # a check box or radio button's state name
        text = "" if text == "/Off" else text[1:]
    return text


def load_pdf(source: str, data: bytes, context: LoadContext) -> list[Document]:
    """One document per PDF page with text (1-based `page`); a page without any is read by
    OCR when Tesseract is installed, else counted in a warning. Each page is charged to
    the budget, and its text; the clock at every drawing operator pypdf reports, so one
    endless page is stopped too."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damage is reported once, below
    texts: dict[int, str] = {}
    fields: dict[int, list[str]] = {}
    scans: list[int] = []  # pages with an image and no text
    budget = context.budget
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(source, "encrypted PDF (a password is needed)")
        info = reader.metadata
        title = str(info.title) if info and info.title else None
        for number, page in enumerate(reader.pages, start=1):
            budget.charge(pages=1)
            layout = PageLayout(budget)
            text = page.extract_text(visitor_text=layout.on_text,
                                     visitor_operand_before=layout.on_operator) or ""
            text = budget.text(text)
            texts[number] = (layout.text_with_tables() or text) if text.strip() else text
            fields[number] = _form_fields(page)
            if not text.strip() and not fields[number] and _has_image(page.get("/Resources")):
                scans.append(number)
    except LoadError:
        raise
    except DependencyError as exc:
        raise LoadError(source, f"encrypted PDF that cannot be opened ({exc})") from None
    except RecursionError:
        raise LoadError(source, "corrupt PDF (objects nested too deeply)") from None
    except Exception as exc:  # pypdf raises many types on damaged files: all mean "corrupt"
        raise LoadError(
            source, f"corrupt or unreadable PDF ({exc.__class__.__name__}: {exc})"
        ) from None
    scanned = _ocr(source, data, scans, texts, context) if scans else set()
    digest, docs = content_hash(data), []
    for number, text in texts.items():
        if fields[number]:  # else the text as pypdf gives it: stored chunks stay the same
            text = "\n".join(filter(None, [text.rstrip(), *fields[number]]))
        if text.strip():
            extra = {"ocr": True} if number in scanned else {}
            docs.append(Document(text, metadata=metadata(
                source, MIME, digest, title=title, page=number, **extra)))
    empty = [n for n, text in texts.items() if not text.strip() and not fields[n]]
    unread = [n for n in scans if not texts[n].strip()]
    ocr = bool(unread) and bool(ocr_languages())  # only then is Tesseract asked
    if not docs:
        hint = "" if not unread else " (not even by OCR)" if ocr else (
            f" (scanned images need OCR: {INSTALL})")
        raise LoadError(source, f"PDF has no extractable text on its {len(empty)} pages{hint}")
    if empty:
        hint = f"; {len(unread)} are scanned and need OCR: {INSTALL}" if unread and not ocr else ""
        context.warnings.append(f"{len(empty)} of {len(texts)} pages have no extractable "
                                f"text (pages {_numbers(empty)}{hint})")
    return docs


def _ocr(source: str, data: bytes, scans: list[int], texts: dict[int, str],
         context: LoadContext) -> set[int]:
    """Fill `texts` of the `scans` pages by OCR; the pages it read."""
    if not ocr_languages():
        return set()
    try:
        found = read_pages(data, scans, context.budget)
    except LoadError:
        raise
    except Exception as exc:  # a page pdfium cannot render: the rest of the file stays
        context.warnings.append(f"OCR failed ({exc.__class__.__name__}: {exc})")
        return set()
    texts.update(found)
    read = {n for n, text in found.items() if text.strip()}
    if read:
        context.warnings.append(f"{len(read)} page{'s' * (len(read) != 1)} read by OCR "
                                f"(pages {_numbers(sorted(read))})")
    return read
