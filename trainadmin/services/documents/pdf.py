"""What every generated PDF shares (fpdf2, pure Python): an embedded Unicode font (Noto Sans, in
`fonts/`), so that any French or European name prints as typed; left-aligned paragraphs without a
word alone on their last line; the letterhead of the organisation that sends them."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "NotoSans"
FONT_FILES = {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"}

MARGIN = 20  # mm, left and right
TOP = 15  # mm
BOTTOM = 15  # mm
GREY = (90, 90, 90)
LOGO_BOX = (50, 20)  # mm: the logo fits in this box, its proportions kept


@dataclass(frozen=True)
class Letterhead:
    """Who sends the document: name, address lines and logo (PNG or JPEG bytes), each may be empty."""

    name: str = ""
    address_lines: tuple[str, ...] = ()
    logo: bytes | None = None


def pdf_text(value) -> str:
    """A value as printed: composed accents (a name typed with combining marks prints the same),
    without the invisible control and format characters a PDF cannot show; newlines kept."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))


NBSP = "\u00a0"
_SPACE_BEFORE = re.compile(r" (?=[:;!?»€%])")
_SPACE_AFTER = re.compile(r"(?<=«) ")


def bind_spaces(text: str) -> str:
    """The spaces French typography keeps with their sign (« : », « ; », guillemets, « 15 € ») become
    no-break spaces: a line never starts with « : » or ends with « « ». Readers still see spaces."""
    return _SPACE_AFTER.sub(NBSP, _SPACE_BEFORE.sub(NBSP, text))


def new_pdf(title: str) -> FPDF:
    """An A4 document in the embedded font, with its title, margins and automatic page breaks."""
    from fpdf import FPDF  # imported when a PDF is first made: fpdf2 and fontTools weigh 20 MiB

    pdf = FPDF(format="A4")
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, FONT_DIR / name)
    pdf.set_margins(MARGIN, TOP, MARGIN)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    pdf.set_title(pdf_text(title))
    pdf.set_creator("TrainAdmin")
    pdf.set_font(FONT, size=10)
    return pdf


def set_font(pdf: FPDF, size: float, bold: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)


def paragraph(pdf: FPDF, text: str, line_height: float, *, indent: float = 0, after: float = 0) -> None:
    """Left-aligned text from the left margin (plus `indent`), one paragraph per line of `text`;
    a paragraph never ends with a word alone on its line (the word before it comes down too)."""
    for part in bind_spaces(pdf_text(text)).split("\n"):
        width = pdf.epw - indent
        if not part.strip():
            pdf.ln(line_height)
            continue
        lines = wrap(pdf, part, width)
        if lines is None:  # a word wider than the line (a long address): fpdf2 cuts it
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(width, line_height, part, align="L", new_x="LMARGIN", new_y="NEXT")
            continue
        for line in lines:
            pdf.set_x(pdf.l_margin + indent)
            pdf.cell(width, line_height, line, align="L", new_x="LMARGIN", new_y="NEXT")
    if after:
        pdf.ln(after)


def wrap(pdf: FPDF, text: str, width: float) -> list[str] | None:
    """The lines of a paragraph in the current font, filled word by word (no-break spaces hold
    their words together), the last line never a word alone; None when a word is wider than a line."""
    words = text.split(" ")
    space = pdf.get_string_width(" ")
    widths = [pdf.get_string_width(word) for word in words]
    if max(widths) > width:
        return None
    lines: list[list[int]] = [[]]
    used = 0.0
    for index, word_width in enumerate(widths):
        needed = word_width if not lines[-1] else used + space + word_width
        if lines[-1] and needed > width:
            lines.append([index])
            used = word_width
        else:
            lines[-1].append(index)
            used = needed
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 2:
        moved = lines[-2].pop()
        if widths[moved] + space + widths[lines[-1][0]] <= width:
            lines[-1].insert(0, moved)
        else:
            lines[-2].append(moved)
    return [" ".join(words[index] for index in line) for line in lines]


def draw_letterhead(pdf: FPDF, head: Letterhead) -> None:
    """The sender at the top of the page: the logo, then the name and address beside it; a thin rule
    below. Nothing is drawn for what is not set."""
    top = pdf.get_y()
    text_x = pdf.l_margin
    bottom = top
    if head.logo:
        size = _logo_size(head.logo)
        if size is not None and _draw_logo(pdf, head.logo, top, size):
            text_x += size[0] + 6
            bottom = top + size[1]
    pdf.set_xy(text_x, top)
    if head.name:
        set_font(pdf, 12, bold=True)
        pdf.multi_cell(
            pdf.w - pdf.r_margin - text_x, 6, pdf_text(head.name), align="L", new_x="LEFT", new_y="NEXT"
        )
    set_font(pdf, 9)
    pdf.set_text_color(*GREY)
    for line in head.address_lines:
        pdf.multi_cell(
            pdf.w - pdf.r_margin - text_x, 4.5, pdf_text(line), align="L", new_x="LEFT", new_y="NEXT"
        )
    pdf.set_text_color(0, 0, 0)
    bottom = max(bottom, pdf.get_y())
    if bottom > top:
        pdf.set_draw_color(200, 200, 200)
        pdf.line(pdf.l_margin, bottom + 3, pdf.w - pdf.r_margin, bottom + 3)
        pdf.set_draw_color(0, 0, 0)
        bottom += 8
    pdf.set_xy(pdf.l_margin, bottom)
    set_font(pdf, 10)


def _draw_logo(pdf: FPDF, logo: bytes, top: float, size: tuple[float, float]) -> bool:
    try:
        pdf.image(io.BytesIO(logo), x=pdf.l_margin, y=top, w=size[0], h=size[1])
    except Exception:  # see _logo_size
        log.warning("The organisation's logo cannot be drawn: PDFs are printed without it.")
        return False
    return True


def _logo_size(logo: bytes) -> tuple[float, float] | None:
    """The logo's size on the page (mm), within LOGO_BOX; None when the image cannot be read (it was
    checked at upload: this only keeps a damaged row from breaking every PDF)."""
    try:
        with Image.open(io.BytesIO(logo)) as image:
            width, height = image.size
    except Exception:  # any unreadable image: print the PDF without it
        log.warning("The organisation's logo cannot be read: PDFs are printed without it.")
        return None
    box_w, box_h = LOGO_BOX
    scale = min(box_w / width, box_h / height)
    return width * scale, height * scale


def slot_place(slot) -> str:
    """Lieu, salle and address of a slot on one line, as printed on sign-in sheets."""
    location = slot.location
    parts = (
        str(location) if location else "",
        str(slot.room) if slot.room else "",
        location_address(location),
    )
    return ", ".join(part for part in parts if part)


def location_address(location) -> str:
    """« 12 rue Garibaldi, 69003 Lyon »: the street, then the postcode and city."""
    if location is None:
        return ""
    town = " ".join(p for p in (location.postcode, location.city) if p)
    return ", ".join(p for p in (location.address, town) if p)
