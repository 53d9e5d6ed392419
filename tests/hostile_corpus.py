"""A generated corpus of hostile inputs (files and URLs), each with the outcome it must have.

An outcome is "ok" (ingested), "either" (ingested or one clear error: e.g. a truncated PDF
whose damage pypdf may or may not recover from) or a substring of the expected error.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.office_factory import (
    encrypted_office,
    make_docx,
    make_epub,
    make_odt,
    make_pptx,
    make_xlsx,
    many_parts_docx,
    zip_bomb_docx,
)
from tests.pdf_factory import encrypt, make_pdf

TEXT_SUFFIXES = [".txt", ".md", ".markdown", ".rst", ".csv", ".html", ".htm"]
ALL_SUFFIXES = [*TEXT_SUFFIXES, ".pdf"]
ZIP_SUFFIXES = [".docx", ".pptx", ".xlsx", ".odt", ".epub"]


@dataclass
class Case:
    name: str
    outcome: str
    make: Callable[[Path], None] | None = None  # writes the file(s) at the given path
    url: str = ""  # a route on the stub server instead of a file


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _deep_html(depth: int) -> bytes:
    return b"<html><body>" + b"<div>" * depth + b"deep text" + b"</div>" * depth + b"</body>"


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda path: os.symlink(target, path)


def _loop(path: Path) -> None:
    os.symlink(path.with_name("loop-b.txt"), path)
    os.symlink(path, path.with_name("loop-b.txt"))


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder_loop(path: Path) -> None:
    path.mkdir()
    (path / "inside.md").write_text("Text inside a folder that links back to itself.")
    os.symlink("..", path / "up")
    os.symlink(".", path / "self")


def file_cases() -> list[Case]:
    rng = random.Random(7)
    pdf = make_pdf([f"Hostile corpus page {n}: the grinder burrs are steel." for n in range(1, 6)])
    cases: list[Case] = []
    add = cases.append
    for suffix in ALL_SUFFIXES:
        add(Case(f"zero{suffix}", "empty file", _bytes(b"")))
        add(Case(f"blank{suffix}", "empty file", _bytes(b" \n\t\r\n ")))
        add(Case(f"nul{suffix}", "NUL bytes" if suffix != ".pdf" else "PDF",
                 _bytes(b"text\x00" * 50)))
        if suffix != ".pdf":
            add(Case(f"random{suffix}", "either", _bytes(rng.randbytes(4096).replace(b"\0", b""))))
            add(Case(f"bom-only{suffix}", "no text" if suffix != ".csv" else "no data rows",
                     _bytes(b"\xef\xbb\xbf")))
        add(Case(f"elf{suffix}", "NUL bytes" if suffix != ".pdf" else "PDF",
                 _bytes(b"\x7fELF\x02\x01\x01" + bytes(64) + rng.randbytes(512))))
        add(Case(f"png{suffix}", "NUL bytes" if suffix != ".pdf" else "PDF",
                 _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(256))))
    for cut in (0.05, 0.25, 0.5, 0.75, 0.9, 0.99):
        add(Case(f"truncated-{int(cut * 100)}.pdf", "either", _bytes(pdf[: int(len(pdf) * cut)])))
    for seed in range(6):
        damaged = bytearray(pdf)
        flip = random.Random(seed)
        for _ in range(40):
            damaged[flip.randrange(200, len(damaged))] = flip.randrange(256)
        add(Case(f"bitflip-{seed}.pdf", "either", _bytes(bytes(damaged))))
    add(Case("header-only.pdf", "PDF", _bytes(b"%PDF-1.7\n")))
    add(Case("not-a-pdf.pdf", "PDF", _bytes(b"Just words in a file named like a PDF.")))
    add(Case("xref-garbage.pdf", "PDF", _bytes(b"%PDF-1.4\nxref\n0 99999999\ntrailer<<>>\n%%EOF")))
    add(Case("pdf-in-txt.txt", "NUL bytes" if b"\0" in pdf else "either", _bytes(pdf)))
    for algorithm in ("RC4-40", "RC4-128", "AES-128", "AES-256"):
        add(Case(f"locked-{algorithm}.pdf", "password is needed",
                 _bytes(encrypt(pdf, "secret", algorithm))))
        add(Case(f"owner-only-{algorithm}.pdf", "ok", _bytes(encrypt(pdf, "", algorithm))))
    add(Case("no-text-pages.pdf", "no extractable text", _bytes(make_pdf(["", "", ""]))))
    add(Case("some-text-pages.pdf", "ok+warning",
             _bytes(make_pdf(["", "Only the second page has words.", ""]))))
    korean = "원두는 매주 화요일에 로스팅합니다. 디카페인은 스위스 워터 방식입니다.\n" * 20
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp949", "euc-kr"):
        add(Case(f"korean-{encoding}.txt", "ok", _bytes(korean.encode(encoding))))
        add(Case(f"korean-{encoding}.csv", "ok",
                 _bytes(("이름,설명\n" + "라떼,우유가 들어간 커피\n" * 5).encode(encoding))))
    add(Case("utf16-no-bom.txt", "NUL bytes", _bytes(korean.encode("utf-16-le"))))
    add(Case("odd-utf16.txt", "UTF-16", _bytes(b"\xff\xfe" + b"a\x00b\x00c")))
    add(Case("latin1.txt", "ok", _bytes("Café crème, naïve façade, déjà vu.\n".encode("latin-1"))))
    add(Case("cp1252.md", "ok", _bytes("“Smart quotes” – and dashes…\n".encode("cp1252"))))
    add(Case("mixed-encodings.txt", "either", _bytes(
        "UTF-8 line: 커피\n".encode() + "cp949 line: 커피\n".encode("cp949") * 3)))
    add(Case("truncated-utf8.md", "either", _bytes("끝이 잘린 글자: 커".encode()[:-1])))
    add(Case("control-chars.txt", "ok", _bytes(bytes(range(1, 32)) + b" words after controls")))
    add(Case("zero-width-rtl-emoji.md", "ok", _bytes(
        "a\u200bb\u200ec \u202eRTL\u202c ☕🫘 \U0001f600 text".encode())))
    add(Case("long-line-words.txt", "ok", _bytes(b"espresso crema " * 70_000)))
    add(Case("long-line-nospace.txt", "ok", _bytes(b"x" * 300_000)))
    add(Case("long-line-korean.md", "ok", _bytes(("가나다라마바사" * 3_000).encode())))
    add(Case("huge-cell.csv", "ok", _bytes(b"name,note\nbig," + b"y" * 200_000 + b"\n")))
    add(Case("ragged.csv", "ok", _bytes(b"a,b,c\n1\n2,3,4,5,6\n,,\n7,8\n")))
    add(Case("header-only.csv", "no data rows", _bytes(b"a,b,c\n")))
    add(Case("empty-values.csv", "no data rows", _bytes(b"a,b\n,\n,\n")))
    add(Case("unterminated-quote.csv", "either", _bytes(b'a,b\n"open,never closed\n')))
    add(Case("many-columns.csv", "ok", _bytes(
        ",".join(f"c{i}" for i in range(5000)).encode() + b"\n" + b"1," * 4999 + b"1\n")))
    add(Case("semicolons.csv", "ok", _bytes(b"name;price\nlatte;4500\n")))
    for depth in (1_000, 10_000, 50_000):
        add(Case(f"nested-{depth}.html", "either", _bytes(_deep_html(depth))))
    add(Case("unclosed.html", "ok", _bytes(b"<p>open " * 20_000)))
    add(Case("script-only.html", "no text", _bytes(b"<script>" + b"x();" * 1000 + b"</script>")))
    add(Case("comment-only.htm", "no text", _bytes(b"<!-- " + b"hidden " * 1000 + b"-->")))
    add(Case("huge-attribute.html", "ok", _bytes(
        b'<p title="' + b"a" * 1_000_000 + b'">visible text</p>')))
    add(Case("entity-soup.html", "ok", _bytes(b"&amp;&lt;&#x1F600;&#99999999;&bogus; words " * 50)))
    add(Case("enormous.html", "ok", _bytes(
        b"<html><body>" + b"<p>Repeated paragraph about roasting curves.</p>" * 30_000)))
    add(Case("too-large.txt", "file too large", _bytes(b"big text line\n" * 450_000)))
    add(Case("meta-euckr.html", "ok", _bytes(
        '<meta charset="euc-kr"><title>제목</title><p>본문 내용입니다</p>'.encode("euc-kr"))))
    add(Case("dangling.md", "cannot read file", _symlink("does-not-exist.md")))
    add(Case("loop-a.txt", "cannot read file", _loop))
    add(Case("fifo.txt", "not a regular file", _fifo))
    add(Case("devzero.txt", "not a regular file", _symlink("/dev/zero")))
    add(Case("devurandom.md", "not a regular file", _symlink("/dev/urandom")))
    add(Case("folder-loop", "ok", _folder_loop))
    add(Case("name\udcff-invalid.txt", "not valid UTF-8", _bytes(b"fine text, bad name")))
    add(Case("name\nwith-newline.md", "control characters", _bytes(b"fine text, odd name")))
    add(Case("spaces and 한글 name.md", "ok", _bytes("이름에 공백과 한글".encode())))
    add(Case("UPPER.TXT", "ok", _bytes(b"Upper-case suffixes load too.")))
    add(Case("no-suffix-given-directly", "unsupported file type", _bytes(b"words")))
    add(Case("word.doc", "unsupported file type '.doc' (save it as .docx)",
             _bytes(b"\xd0\xcf\x11\xe0")))
    cases += office_cases(rng)
    return cases


def _bitflipped(data: bytes, seed: int) -> bytes:
    damaged = bytearray(data)
    flip = random.Random(seed)
    for _ in range(40):
        damaged[flip.randrange(100, len(damaged))] = flip.randrange(256)
    return bytes(damaged)


def office_cases(rng: random.Random) -> list[Case]:
    """Issue 15's bad input for the zip-based loaders (the 10,000-slide deck has its own
    test: embedding it here would take minutes)."""
    good = {".docx": make_docx(["A memo about the espresso machine's yearly service."]),
            ".pptx": make_pptx(["Roadmap\nA second store opens in March."]),
            ".xlsx": make_xlsx({"Stock": [["bean", "kg"], ["Yirgacheffe", 12]]}),
            ".odt": make_odt("<text:p>Minutes of the Tuesday roasting meeting.</text:p>"),
            ".epub": make_epub(["<p>The first chapter of a book about coffee.</p>"])}
    cases: list[Case] = []
    add = cases.append
    for suffix, data in good.items():
        add(Case(f"fine{suffix}", "ok", _bytes(data)))
        add(Case(f"zero{suffix}", "empty file", _bytes(b"")))
        add(Case(f"text{suffix}", "not a readable zip archive", _bytes(b"just words, no zip")))
        add(Case(f"png{suffix}", "not a readable zip archive",
                 _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(256))))
        add(Case(f"truncated{suffix}", "corrupt", _bytes(data[: len(data) // 2])))
        add(Case(f"bitflip{suffix}", "either", _bytes(_bitflipped(data, len(suffix)))))
        if suffix in (".docx", ".pptx", ".xlsx"):
            add(Case(f"locked{suffix}", "encrypted Office file (a password is needed)",
                     _bytes(encrypted_office())))
    add(Case("legacy-as.docx", "legacy binary Office file", _bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))))
    add(Case("zip-bomb.docx", "unpacks to 600 MB (at most 512 MB; a zip bomb?)",
             _bytes(zip_bomb_docx(600))))
    add(Case("many-parts.docx", "50,001 parts in the archive", _bytes(many_parts_docx(50_001))))
    add(Case("no-body.docx", "part 'word/document.xml' is missing", _bytes(
        _zip_of({"[Content_Types].xml": "<Types/>"}))))
    add(Case("bad-xml.docx", "bad XML", _bytes(_zip_of({"word/document.xml": "<w:document"}))))
    add(Case("no-slides.pptx", "part 'ppt/presentation.xml' is missing",
             _bytes(_zip_of({"ppt/slides/slide1.xml": "<p:sld/>"}))))
    add(Case("empty-sheets.xlsx", "no values in any sheet", _bytes(make_xlsx({"A": [], "B": []}))))
    add(Case("no-container.epub", "part 'META-INF/container.xml' is missing",
             _bytes(_zip_of({"mimetype": "application/epub+zip"}))))
    add(Case("drm.epub", "encrypted e-book (DRM)", _bytes(_with_part(
        good[".epub"], "META-INF/encryption.xml", "<encryption>OEBPS/text/c0.xhtml</encryption>"))))
    add(Case("entity-bomb.odt", "amplification",
             _bytes(_zip_of({"content.xml": _billion_laughs()}))))
    return cases


def _zip_of(parts: dict[str, str]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, body in parts.items():
            package.writestr(name, body)
    return out.getvalue()


def _with_part(data: bytes, name: str, body: str) -> bytes:
    import io
    import zipfile

    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as package:
        package.writestr(name, body)
    return out.getvalue()


def _billion_laughs() -> str:
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE d [{entities}]><d>&l9;</d>'


def url_cases() -> list[Case]:
    """Routes of tests.http_stub; the stub server decides the behaviour."""
    return [
        Case("page", "ok", url="/page.html"),
        Case("korean page", "ok", url="/korean-undeclared.html"),
        Case("pdf", "ok+warning", url="/doc.pdf"),
        Case("redirect once", "ok", url="/hop"),
        Case("404", "HTTP 404", url="/missing"),
        Case("500", "HTTP 500", url="/broken"),
        Case("timeout", "timed out", url="/slow"),
        Case("drip-feed", "timed out", url="/drip"),
        Case("redirect forever", "redirects", url="/loop"),
        Case("redirect to file://", "not http or https", url="/to-file"),
        Case("endless body", "too large", url="/huge"),
        Case("huge declared length", "too large", url="/huge-declared"),
        Case("gzip bomb", "too large", url="/gzip-bomb"),
        Case("body shorter than declared", "download failed", url="/short-body"),
        Case("image", "unsupported content type", url="/image.png"),
        Case("no content type", "unsupported content type", url="/no-type"),
        Case("binary as text/plain", "NUL bytes", url="/binary.txt"),
        Case("empty body", "empty response body", url="/empty"),
        Case("file scheme", "only http and https", url="file:///etc/passwd"),
        Case("ftp scheme", "only http and https", url="ftp://127.0.0.1/notes.txt"),
    ]
