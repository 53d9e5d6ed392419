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


def make_table_pdf(intro: str, rows: list[list[str]], outro: str = "",
                   booktabs: bool = False) -> bytes:
    """One page: a paragraph, a ruled table (reportlab's Table with a full grid, or
    `booktabs`: rules above, below the header and below, inner column rules only), a
    paragraph."""
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    buffer = io.BytesIO()
    style = getSampleStyleSheet()["BodyText"]
    table = Table(rows)
    black = colors.black
    table.setStyle(TableStyle([("LINEABOVE", (0, 0), (-1, 0), 1, black),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.5, black),
                               ("LINEBELOW", (0, -1), (-1, -1), 1, black),
                               ("LINEAFTER", (0, 0), (-2, -1), 0.5, black)] if booktabs
                              else [("GRID", (0, 0), (-1, -1), 0.5, black)]))
    story = [Paragraph(intro, style), table] + ([Paragraph(outro, style)] if outro else [])
    SimpleDocTemplate(buffer).build(story)
    return buffer.getvalue()


def make_form_pdf(fields: dict[str, str]) -> bytes:
    """One page whose only text is in filled AcroForm text fields (no text in the content)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for n, (name, value) in enumerate(fields.items()):
        pdf.acroForm.textfield(name=name, tooltip=name, value=value, x=72, y=700 - 40 * n,
                               width=400, height=24)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"  # Debian fonts-nanum


def make_scanned_pdf(pages: list[str], font: str = NANUM) -> bytes:
    """Each page a picture of its text (rendered at 200 dpi with Pillow), no text layer:
    what a scanner gives."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    width, height = 1654, 2339  # A4 at 200 dpi
    face = ImageFont.truetype(font, 40)
    for text in pages:
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        for line, words in enumerate(text.splitlines()):
            draw.text((150, 200 + 70 * line), words, font=face, fill=0)
        png = io.BytesIO()
        image.save(png, format="PNG")
        png.seek(0)
        pdf.drawImage(ImageReader(png), 0, 0, width=595, height=842)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
