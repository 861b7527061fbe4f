"""The text of a feed as Excel and other tools save it: the encoding found from the first bytes (UTF-8
with or without its BOM, UTF-16 LE or BE, Windows-1252 — even behind a UTF-8 BOM) and, for CSV, the
separator (`;`, `,` or TAB, or the one an Excel `sep=;` first line names). A file that cannot be read
says which encoding was tried and where it broke."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from flask_babel import gettext

from .feed_items import FeedError

SEPARATORS = (";", "\t", ",")  # in this order when the header holds as many of each
SEP_LINE_RE = re.compile(r'^"?sep=(.)"?[;,\t]*$', re.IGNORECASE)
# UTF-8 sequences that Windows-1252 French text never holds (« Ã© », « â€™ »): the sign of a file
# that mixes both encodings, whose cp1252 reading would silently garble its UTF-8 part.
UTF8_SIGNS_RE = re.compile(rb"\xc3[\x80-\xbf]|\xe2\x80[\x90-\xbf]|\xe2\x82\xac")
BOMLESS_UTF16 = {"utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE"}


@dataclass(frozen=True)
class FeedText:
    text: str
    encoding: str  # as a person reads it: « UTF-16 LE », « Windows-1252 »…


def _line_at(data: bytes, offset: int, codec: str) -> int:
    return data[:offset].decode(codec, errors="replace").count("\n") + 1


def _strict(data: bytes, codec: str, label: str) -> FeedText:
    try:
        return FeedText(data.decode(codec), label)
    except UnicodeDecodeError as exc:
        raise FeedError(
            gettext(
                "The file cannot be read as %(encoding)s text (line %(line)s): save it again from "
                "Excel as « CSV UTF-8 ».",
                encoding=label,
                line=_line_at(data, exc.start, codec),
            )
        ) from None


def _utf8_or_windows(data: bytes, utf8_label: str, windows_label: str) -> FeedText:
    try:
        return FeedText(data.decode("utf-8"), utf8_label)
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    line = _line_at(data, first_bad, "utf-8")
    if UTF8_SIGNS_RE.search(data):
        raise FeedError(
            gettext(
                "The file mixes UTF-8 and Windows-1252 text (line %(line)s): save it again in one "
                "encoding, from Excel as « CSV UTF-8 ».",
                line=line,
            )
        )
    try:
        return FeedText(data.decode("cp1252"), windows_label)
    except UnicodeDecodeError as exc:
        raise FeedError(
            gettext(
                "The file is neither UTF-8 nor Windows-1252 text (line %(line)s): save it again "
                "from Excel as « CSV UTF-8 ».",
                line=_line_at(data, exc.start, "latin-1"),
            )
        ) from None


def _utf16_without_bom(data: bytes) -> str | None:
    """A UTF-16 file whose BOM was lost: a NUL beside (nearly) each character of its beginning, the
    header's column names being plain ASCII; text in any other encoding holds no NUL there."""
    head = data[:200]
    head = head[: len(head) - len(head) % 2]
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even_nuls, odd_nuls = head[0::2].count(0), head[1::2].count(0)
    if not even_nuls and odd_nuls >= 0.75 * pairs:
        return "utf-16-le"
    if not odd_nuls and even_nuls >= 0.75 * pairs:
        return "utf-16-be"
    return None


def decode(data: bytes) -> FeedText:
    """The file's text and the encoding it was read in, or FeedError saying what could not be read."""
    if not data.strip():
        raise FeedError(gettext("The file is empty."))
    if data.startswith(codecs.BOM_UTF16_LE):
        feed = _strict(data[2:], "utf-16-le", "UTF-16 LE")
    elif data.startswith(codecs.BOM_UTF16_BE):
        feed = _strict(data[2:], "utf-16-be", "UTF-16 BE")
    elif data.startswith(codecs.BOM_UTF8):
        feed = _utf8_or_windows(
            data[3:], gettext("UTF-8 with BOM"), gettext("Windows-1252 behind a UTF-8 BOM")
        )
    elif codec := _utf16_without_bom(data):
        feed = _strict(data, codec, BOMLESS_UTF16[codec])
    else:
        feed = _utf8_or_windows(data, "UTF-8", "Windows-1252")
    if not feed.text.strip():
        raise FeedError(gettext("The file is empty."))
    return feed


# --- CSV separator ---------------------------------------------------------------------------------


def separator_name(separator: str) -> str:
    return gettext("tab") if separator == "\t" else f"« {separator} »"


def _outside_quotes(line: str) -> str:
    return "".join(part for index, part in enumerate(line.split('"')) if index % 2 == 0)


def find_separator(text: str) -> tuple[str, bool]:
    """The separator and whether the first line is Excel's `sep=…` line (to skip); otherwise the
    separator the header line uses most, outside quotes."""
    first_line = text.split("\n", 1)[0].strip()
    if match := SEP_LINE_RE.match(first_line):
        return match.group(1), True
    header = _outside_quotes(first_line)
    return max(SEPARATORS, key=header.count), False
