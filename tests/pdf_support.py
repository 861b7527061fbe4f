"""Reading the PDFs we make with two readers independent of the code that writes them: pypdf and
poppler's pdftotext (Debian's poppler-utils; .ci/run installs it)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from email.message import Message
from email.utils import collapse_rfc2231_value

from pypdf import PdfReader

from .conftest import need


def pdftotext(data: bytes, *options: str) -> str:
    command = shutil.which("pdftotext")
    if command is None:
        need("pdftotext", "apt-get install poppler-utils")
    result = subprocess.run(  # noqa: S603 - a fixed program on our own bytes
        [command, "-enc", "UTF-8", *options, "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pypdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """Words separated by one space: line breaks and (no-break) spaces read alike."""
    return " ".join(text.split())


def both_readers(data: bytes) -> dict[str, str]:
    """The text of the PDF as each reader gives it, flattened."""
    return {"pypdf": flat(pypdf_text(data)), "pdftotext": flat(pdftotext(data))}


def page_counts(data: bytes) -> tuple[int, int]:
    """Pages as pypdf counts them, and as pdftotext separates them (form feeds)."""
    return len(PdfReader(io.BytesIO(data)).pages), pdftotext(data).rstrip("\f").count("\f") + 1


def fonts(data: bytes) -> list[dict]:
    """Every font of every page: its name, subtype and whether its program is embedded."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts") or [font]
            descriptor = descendants[0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            found.append(
                {
                    "name": str(font.get("/BaseFont")),
                    "subtype": str(font.get("/Subtype")),
                    "embedded": any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")),
                }
            )
    return found


def images(data: bytes) -> list[tuple[int, int]]:
    """(width, height) of the image XObjects of the first page."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    xobjects = page["/Resources"].get("/XObject") or {}
    return [
        (int(obj["/Width"]), int(obj["/Height"]))
        for obj in (x.get_object() for x in xobjects.values())
        if obj.get("/Subtype") == "/Image"
    ]


def words_by_line(data: bytes) -> list[list[tuple[float, float, str]]]:
    """pdftotext's word boxes grouped by line: [(x_min, x_max, word), …] per line, top to bottom."""
    lines: dict[tuple[int, float], list[tuple[float, float, str]]] = {}
    page = 0
    for row in pdftotext(data, "-bbox").splitlines():
        if "<page " in row:
            page += 1
        found = re.search(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', row
        )
        if found:
            x_min, y_min, x_max, word = found.groups()
            lines.setdefault((page, round(float(y_min), 1)), []).append((float(x_min), float(x_max), word))
    return [sorted(words) for _, words in sorted(lines.items())]


def download_name(content_disposition: str) -> tuple[str, str]:
    """(the name a browser saves the file under, the plain `filename` for older clients), read by the
    standard library's MIME parser; as RFC 6266 says, the RFC 2231 `filename*` comes first."""
    message = Message()
    message["Content-Disposition"] = content_disposition
    params = message.get_params(header="Content-Disposition")[1:]
    plain = next((value for key, value in params if key == "filename" and isinstance(value, str)), None)
    extended = next((value for key, value in params if key == "filename" and isinstance(value, tuple)), None)
    return (collapse_rfc2231_value(extended) if extended else plain), plain
