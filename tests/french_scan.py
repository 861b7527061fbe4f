"""English left in a French page: the catalogues' English msgids, looked for in what a reader sees.

What a reader sees is every text node outside <script>, <style> and <code> (names a file must use),
the attributes that browsers show (title, placeholder, aria-label, alt, a button's value, our
data-confirm dialogs) and the JSON data
from which Flask-Admin's script draws the filter chips. A text that IS an English msgid whose French
differs from it is English left untranslated; msgids with %(name)s or {} placeholders match with
anything in the placeholder's place.
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import flask_admin
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
OUR_FRENCH = ROOT / "trainadmin" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
ADMIN_DIR = Path(flask_admin.__file__).parent
ADMIN_FRENCH = ADMIN_DIR / "translations" / "fr" / "LC_MESSAGES" / "admin.po"
# Flask-Admin's sources that the admin pages use (its file manager, Redis console and other
# back-ends are not part of the app).
ADMIN_SOURCES = ("base.py", "actions.py", "model", "contrib/sqla", "form", "templates/bootstrap4")

SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-confirm", "data-original-title"}
PLACEHOLDER = re.compile(r"%\([^)]*\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{\}")
# A text its templates write without the catalogue (« Toggle navigation »).
TEMPLATE_LITERAL = re.compile(r'(?:title|placeholder|aria-label|alt)="([^"{}]*[A-Za-z]{2,}[^"{}]*)"')
TEMPLATE_CALL = re.compile(r"""_(?:gettext|ngettext)\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")""")
WORD = re.compile(r"[A-Za-z]{2,}")


def _norm(text: str) -> str:
    return " ".join(text.split())


def _forms(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(form for form in value if form)


def _translated(path: Path, locale: str = "fr") -> dict[str, str]:
    """msgid (each plural form) → its French, '' when the catalogue has none."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    found: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue
        french = _forms(message.string)
        for index, msgid in enumerate(_forms(message.id)):
            found[msgid] = "" if message.fuzzy or not french else french[min(index, len(french) - 1)]
    return found


def _admin_source_msgids() -> set[str]:
    """Every msgid Flask-Admin's pages and flashes use, found in its sources (some are missing from
    its French catalogue, or built at run time like « 20 items »), and the texts its templates
    show without the catalogue."""
    found: set[str] = set()
    for part in ADMIN_SOURCES:
        base = ADMIN_DIR / part
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            if path.suffix == ".py" and path.name != "upload.py":  # file uploads: not used
                with path.open("rb") as fh:
                    for _line, _func, message, _comments in extract_python(
                        fh, ["gettext", "lazy_gettext", "ngettext", "_gettext", "_ngettext"], [], {}
                    ):
                        found.update(_forms(message))
            elif path.suffix == ".html":
                text = path.read_text(encoding="utf-8")
                for match in TEMPLATE_CALL.finditer(text):
                    found.add((match.group(1) or match.group(2) or "").replace("\\'", "'"))
                found.update(TEMPLATE_LITERAL.findall(text))
    return {msgid for msgid in found if msgid}


@cache
def english_msgids() -> tuple[frozenset[str], re.Pattern | None]:
    """(texts that are English, one pattern for the msgids with placeholders)."""
    ours = _translated(OUR_FRENCH)
    admin = _translated(ADMIN_FRENCH)
    english: dict[str, str] = dict(ours)
    for msgid in _admin_source_msgids():
        english.setdefault(msgid, admin.get(msgid, ""))
    also_french = {_norm(french) for french in [*ours.values(), *admin.values()]}
    exact: set[str] = set()
    patterns: list[str] = []
    for msgid, french in english.items():
        msgid_n = _norm(msgid)
        words = WORD.search(PLACEHOLDER.sub("", msgid_n))
        if not words or _norm(french) == msgid_n or msgid_n in also_french:
            continue  # nothing English in it, the same words in both languages, or French elsewhere
        if PLACEHOLDER.search(msgid_n):
            pieces = PLACEHOLDER.split(msgid_n)
            patterns.append(".+?".join(re.escape(piece) for piece in pieces))
        else:
            exact.add(msgid_n)
    pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
    return frozenset(exact), pattern


class _Reader(HTMLParser):
    """The texts of a page that a reader sees, and the JSON data of Flask-Admin's filters."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip: list[str] = []
        self._json = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style", "code"):
            self._skip.append(tag)
            self._json = tag == "script" and (attributes.get("type") or "").endswith("json")
        for name, value in attrs:
            if value and name in SHOWN_ATTRIBUTES:
                self.texts.append(value)
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.texts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()
            self._json = False

    def handle_data(self, data):
        if self._json or (not self._skip and data.lstrip().startswith(("[", "{"))):
            try:  # Flask-Admin's filters: JSON in a script or a hidden div, drawn by its script
                self.texts.extend(_json_strings(json.loads(data)))
                return
            except ValueError:
                pass
        if not self._skip:
            self.texts.append(data)


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item)]
    return []


def shown_texts(html: str) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return [text for text in (_norm(t) for t in reader.texts) if text]


def english_in(html: str) -> list[str]:
    """The texts of the page that are English msgids."""
    exact, pattern = english_msgids()
    return sorted(
        {text for text in shown_texts(html) if text in exact or (pattern and pattern.fullmatch(text))}
    )
