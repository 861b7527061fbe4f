"""Header values written out by hand, so that mail readers show them exactly as they were typed.

The standard library's folding changes French subjects: it drops the space between an encoded word
and the next word (« public— Paris »), writes encoded words longer than the 75 characters of RFC 2047
and, after Flask-Mail's own encoding, empty ones. Here a text that is not short printable ASCII is
written as UTF-8 encoded words, each holding whole characters, at most 75 long, one per line (≤ 78):
the white space between two encoded words is not part of the text (RFC 2047 §6.2), so every space of
the text is inside a word. Printable ASCII is folded at its own spaces, which unfolding gives back.
"""

from __future__ import annotations

import base64
import re
from email.utils import formataddr, parseaddr, unquote
from functools import lru_cache

MAX_LINE = 78  # RFC 5322 §2.1.1, CRLF excluded
MAX_WORD = 75  # RFC 2047 §2
FOLD = "\r\n "
#: Characters a Q-encoded word may carry as they are, even in a display name (RFC 2047 §5 (3)).
Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")  # RFC 5322 atext
PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+( [\x21-\x7e]+)*")
#: Spaces that may break a line: runs become one space. Non-breaking spaces (« … », « : ») stay.
BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f\u2007]+")
NAMED_ADDRESS = re.compile(r"\s*(.*?)\s*<([^<>]*)>\s*", re.S)


def one_line(text: str) -> str:
    """A subject: one line, runs of spaces, tabs and line breaks made one space, none at either end;
    non-breaking spaces stay as typed."""
    return BREAKING_SPACE.sub(" ", text).strip()


def sender_parts(sender) -> tuple[str, str]:
    """(name, address) of MAIL_DEFAULT_SENDER: « Name <address> » (the name as written, commas and
    parentheses included, quotes or not), an address alone, or a (name, address) pair."""
    if isinstance(sender, tuple | list):
        return str(sender[0] or ""), str(sender[1] or "")
    return _sender_parts(sender or "")


@lru_cache(maxsize=16)  # the same sender for every message of a batch
def _sender_parts(sender: str) -> tuple[str, str]:
    match = NAMED_ADDRESS.fullmatch(sender)
    if match is None:
        return parseaddr(sender)
    name = match.group(1)
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = unquote(name)
    return one_line(name), match.group(2).strip()


@lru_cache(maxsize=256)  # a rule's subject is the same for each of its recipients
def unstructured(name: str, text: str) -> str:
    """The value of an unstructured header (Subject), folded to lines of at most 78 characters."""
    room = MAX_LINE - len(name) - 2  # "Name: "
    if PRINTABLE_ASCII.fullmatch(text) and "=?" not in text:
        folded = _fold(text.split(" "), room)
        if folded is not None:
            return folded
    return FOLD.join(encoded_words(text, room)) if text else ""


@lru_cache(maxsize=64)  # the sender, the same for every message
def mailbox(name: str, display_name: str | None, address: str) -> str:
    """`Display name <address>` for an address header, folded at its spaces. An ASCII name is
    written as it is (quoted when it needs it); otherwise its ASCII words stay plain and each run
    of other words becomes encoded words: readers differ on the space between two encoded words
    of a name (RFC 2047 ignores it, Python's parser keeps it), never on one next to a plain word."""
    if not display_name:
        return address
    room = MAX_LINE - len(name) - 2
    tokens = None
    if PRINTABLE_ASCII.fullmatch(display_name) and "=?" not in display_name:
        phrase = formataddr((display_name, address)).rpartition(" <")[0]
        tokens = [phrase] if len(phrase) <= room else None
    tokens = [*(tokens or _phrase(display_name, room)), f"<{address}>"]
    folded = _fold(tokens, room)
    return folded if folded is not None else FOLD.join(tokens)


def _phrase(text: str, room: int) -> list[str]:
    tokens: list[str] = []
    run: list[str] = []
    for word in [*text.split(" "), None]:
        if word is not None and not (ATOM.fullmatch(word) and "=?" not in word):
            run.append(word)
            continue
        if run:
            tokens += encoded_words(" ".join(run), room if not tokens else MAX_WORD)
            run = []
        if word is not None:
            tokens.append(word)
    return tokens


def encoded_words(text: str, room: int) -> list[str]:
    """`text` as UTF-8 encoded words (Q or B, whichever is shorter), each a whole number of
    characters, the first at most `room` long, the others at most 75."""
    q = _split(text, room, "q")
    b = _split(text, room, "b")
    return q if sum(map(len, q)) <= sum(map(len, b)) else b


def _split(text: str, room: int, encoding: str) -> list[str]:
    prefix, suffix = f"=?utf-8?{encoding}?", "?="
    limit = min(room, MAX_WORD) - len(prefix) - len(suffix)
    words: list[str] = []
    chunk = b""
    for character in text:
        data = character.encode("utf-8")
        if chunk and _encoded_length(chunk + data, encoding) > limit:
            words.append(prefix + _encode(chunk, encoding) + suffix)
            chunk = b""
            limit = MAX_WORD - len(prefix) - len(suffix)
        chunk += data
    if chunk:
        words.append(prefix + _encode(chunk, encoding) + suffix)
    return words


def _encode(data: bytes, encoding: str) -> str:
    if encoding == "b":
        return base64.b64encode(data).decode("ascii")
    return "".join("_" if byte == 0x20 else chr(byte) if byte in Q_SAFE else f"={byte:02X}" for byte in data)


def _encoded_length(data: bytes, encoding: str) -> int:
    if encoding == "b":
        return 4 * ((len(data) + 2) // 3)
    return sum(1 if byte == 0x20 or byte in Q_SAFE else 3 for byte in data)


def _fold(tokens: list[str], room: int) -> str | None:
    """Words joined by single spaces, a line break put before a space where a line would pass 78
    characters; None when a word alone does not fit on a line."""
    lines: list[str] = []
    line = ""
    for token in tokens:
        limit = room if not lines else MAX_LINE - 1
        if not line:
            candidate = token
        elif len(line) + 1 + len(token) <= limit:
            candidate = f"{line} {token}"
        else:
            lines.append(line)
            limit = MAX_LINE - 1
            candidate = token
        if len(candidate) > limit:
            return None
        line = candidate
    lines.append(line)
    return FOLD.join(lines)
