"""Read PDF pages without a text layer with Tesseract (English and Korean), when installed.

Optional at run time: without the `tesseract` program (or its language data) the pages
are counted and the report says how to install it. Nothing is downloaded.
"""

from __future__ import annotations

import shutil
from functools import lru_cache

from ingest.loaders.common import FileBudget

INSTALL = "apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-kor"
# Korean first: on mixed pages "kor+eng" kept Korean words that "eng+kor" read as Latin
# letters ("운영" → "VS"), and English lines came out the same.
WANTED = ("kor", "eng")
# Measured on generated 200-dpi scans (English, Korean, mixed; load ~4): rendered at 200
# dpi every line was read at ~1 s a page; at 300 dpi 1.6× slower and the first Korean
# words misread (upsampled blur).
RENDER_DPI = 200
# Keep Tesseract's spaces as they are: by default it puts one between Hangul syllables
# ("원 두 는"), which splits every Korean word for the keyword index.
CONFIG = "-c preserve_interword_spaces=1"
# One column of text (psm 4): automatic layout (psm 3) found nothing, or scrambled the
# words, on pages of one or two Korean lines. An empty result is retried as one uniform
# block (psm 6); only empty pages pay for the retry.
LAYOUTS = ("--psm 4", "--psm 6")


@lru_cache(maxsize=1)
def ocr_languages() -> tuple[str, ...]:
    """The wanted languages Tesseract has data for; empty when it is not installed."""
    if shutil.which("tesseract") is None:
        return ()
    try:
        import pytesseract

        installed = set(pytesseract.get_languages(config=""))
    except Exception:  # not installed, or a broken install: both mean "no OCR"
        return ()
    return tuple(language for language in WANTED if language in installed)


def ocr_status() -> tuple[bool, str]:
    """Whether OCR works, and a line saying which engine and languages (or why not)."""
    languages = ocr_languages()
    if not languages:
        return False, "tesseract (eng, kor) not installed: scanned pages are counted, not read"
    import pytesseract

    return True, f"tesseract {pytesseract.get_tesseract_version()} ({'+'.join(languages)})"


def read_pages(data: bytes, numbers: list[int], budget: FileBudget) -> dict[int, str]:
    """Page number (1-based) → the text Tesseract reads on the rendered page; each read
    charges the budget (1-5 s a page)."""
    import pypdfium2
    import pytesseract

    language = "+".join(ocr_languages())
    found = {}
    pdf = pypdfium2.PdfDocument(data)
    try:
        for number in numbers:
            page = pdf[number - 1]
            image = page.render(scale=RENDER_DPI / 72).to_pil()
            for layout in LAYOUTS:
                budget.charge()
                found[number] = budget.text(pytesseract.image_to_string(
                    image, lang=language, config=f"{layout} {CONFIG}"))
                if found[number].strip():
                    break
            page.close()
    finally:
        pdf.close()
    return found
