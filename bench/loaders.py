"""Loader speed: PDF loading (and splitting) on ../shared/docs, and OCR pages per second.

    python bench/loaders.py pdf [FOLDER] [--no-ocr]  # chunks/s, pages/s of load + split
    python bench/loaders.py ocr [--pages N] # generated English and Korean scans, pages/s

No embedding: this is the part of ingest that runs before the model (issue 15 asked that
PDF tables cost at most ~15 % of it). Run it on an idle machine; the load is printed, and
the CPU seconds, which other processes disturb less than the wall clock.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load() -> str:
    return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def bench_pdf(folder: Path, ocr: bool) -> None:
    from core.settings import Settings
    from ingest.loaders import load_file
    from ingest.splitting import make_splitter, split

    if not ocr:  # time the text layer only (a cover image costs ~2 s of OCR otherwise)
        from ingest.loaders import pdf

        pdf.ocr_languages = lambda: ()  # type: ignore[assignment]

    settings = Settings(_env_file=None)
    splitter = make_splitter(settings)
    total_s = total_chunks = total_pages = 0.0
    cpu = time.process_time()
    print(_load())
    for path in sorted(folder.rglob("*.pdf")):
        started = time.perf_counter()
        docs = load_file(path, settings)
        chunks = split(splitter, docs)
        seconds = time.perf_counter() - started
        tables = sum("\n| --- |" in doc.page_content for doc in docs)
        print(f"{path.name:<28} {len(docs):>4} pages {len(chunks):>5} chunks {seconds:6.1f} s "
              f"{len(chunks) / seconds:6.1f} chunks/s  {tables} pages with tables")
        total_s += seconds
        total_chunks += len(chunks)
        total_pages += len(docs)
    print(f"{'all PDFs':<28} {total_pages:>4.0f} pages {total_chunks:>5.0f} chunks "
          f"{total_s:6.1f} s {total_chunks / total_s:6.1f} chunks/s "
          f"{total_pages / total_s:.1f} pages/s, {time.process_time() - cpu:.1f} s CPU")
    print(_load())


def bench_ocr(pages: int) -> None:
    from ingest.loaders.common import FileBudget
    from ingest.loaders.ocr import ocr_status, read_pages
    from tests.pdf_factory import make_scanned_pdf

    ok, status = ocr_status()
    if not ok:
        print(f"bench: {status}", file=sys.stderr)
        sys.exit(2)
    english = ("Scanned page {n}. The grinder burrs are replaced every two years.\n"
               "Espresso is pulled at nine bar for twenty-eight seconds.\n") * 6
    korean = ("스캔한 {n}쪽. 원두는 매주 화요일에 로스팅합니다.\n"
              "디카페인은 스위스 워터 방식입니다.\n") * 6
    print(status, _load())
    for name, text in (("English", english), ("Korean", korean)):
        data = make_scanned_pdf([text.format(n=n) for n in range(1, pages + 1)])
        started = time.perf_counter()
        found = read_pages(data, list(range(1, pages + 1)), FileBudget(seconds=math.inf))
        seconds = time.perf_counter() - started
        read = sum(bool(t.strip()) for t in found.values())
        print(f"{name:<8} {pages} pages, {read} read, {seconds:.1f} s, "
              f"{pages / seconds:.2f} pages/s")
    print(_load())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["pdf", "ocr"])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared" / "docs")
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--no-ocr", action="store_true", help="pdf: leave scanned pages unread")
    args = parser.parse_args()
    if args.what == "ocr":
        bench_ocr(args.pages)
    elif not args.folder.is_dir():
        print(f"bench: {args.folder} not found", file=sys.stderr)
        return 2
    else:
        bench_pdf(args.folder, not args.no_ocr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
