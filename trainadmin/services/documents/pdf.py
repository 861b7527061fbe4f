"""What every generated PDF shares (fpdf2, pure Python, core fonts)."""

from __future__ import annotations


def pdf_text(value) -> str:
    """fpdf2's core fonts speak Latin-1: keep French accents, replace what they cannot print."""
    text = "" if value is None else str(value)
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-").replace("\u2026", "...")
    text = text.replace("\u00ab", '"').replace("\u00bb", '"')
    return text.encode("latin-1", "replace").decode("latin-1")


def slot_place(slot) -> str:
    """Lieu, salle and address of a slot on one line, as printed on convocations and sign-in sheets."""
    location = slot.location
    address = (
        " ".join(p for p in (location.address, location.postcode, location.city) if p) if location else ""
    )
    parts = (str(location) if location else "", str(slot.room) if slot.room else "", address)
    return ", ".join(part for part in parts if part)
