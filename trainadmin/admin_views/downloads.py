"""Files the back office answers for download (convocation, feuille d'émargement, uploaded
documents): one way to name them, readable in every browser (RFC 6266)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

from ..services.documents import display_name

#: Letters that have no ASCII decomposition, spelt as French and European readers spell them.
SPELLED = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "ẞ": "SS",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
        "–": "-",
        "—": "-",
        "’": "'",
    }
)
#: RFC 5987 attr-chars that need no percent-encoding.
ATTR_CHARS = "!#$&+-.^_`|~"


def ascii_filename(name: str) -> str:
    """The plain-ASCII spelling of a file name, for clients that do not read `filename*`."""
    text = unicodedata.normalize("NFKD", name.translate(SPELLED))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    text = re.sub(r'[\x00-\x1f\x7f"\\/%;]', "_", text).strip()
    return text or "download"


def content_disposition(name: str) -> str:
    """`attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>`: the exact name for
    browsers (all current ones read `filename*`), a close ASCII spelling for the others."""
    exact = display_name(name) or "download"
    return (
        f"attachment; filename=\"{ascii_filename(exact)}\"; filename*=UTF-8''{quote(exact, safe=ATTR_CHARS)}"
    )


def attachment_headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": content_disposition(filename)}


def pdf_download(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf", headers=attachment_headers(filename))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
