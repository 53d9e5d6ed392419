"""Real PDFs generated at test time (reportlab), plain or encrypted (pypdf): no committed blobs."""

from __future__ import annotations

import io


def make_pdf(pages: list[str], title: str = "Generated") -> bytes:
    """One page per string; an empty string gives a page without any text."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle(title)
    for text in pages:
        for line, words in enumerate(text.splitlines()):
            pdf.drawString(72, 750 - 14 * line, words)
        if not text:
            pdf.rect(100, 100, 200, 200)  # a drawing, but no text
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypt(data: bytes, user_password: str, algorithm: str = "AES-256") -> bytes:
    """The same PDF, encrypted; an empty user password opens without asking."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
