"""The values of a feed, converted and checked the same way for CSV and JSON: dates, times,
numbers, yes/no, trainers, references; a problem is noted with where it is, never raised."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time

from flask_babel import gettext

from .feed_items import FeedSession

MAX_REFERENCE = 120
SESSION_COLUMNS = (
    "training",
    "title",
    "year",
    "session_type",
    "capacity_min",
    "capacity_target",
    "capacity_max",
    "comments",
    "convocation_comment",
)
SEQUENCE_COLUMNS = ("teaching_mode", "prework")
SLOT_COLUMNS = ("location", "room", "trainers", "organisation_comment", "location_comment", "trainer_comment")
INTEGER_FIELDS = {"year", "capacity_min", "capacity_target", "capacity_max"}
# Yes/no as Excel and people write them (compared without case nor accents); empty is no.
TRUE = {"1", "oui", "vrai", "true", "x", "yes", "y", "o"}
FALSE = {"0", "non", "faux", "false", "no", "n", ""}
# 09:00, 9:00, 09:00:00 (Excel's time cells), 09h00, 9h, 9h30; seconds, if any, are 00.
TIME_RE = re.compile(r"^(\d{1,2})\s*(?::\s*(\d{2})(?:\s*:\s*(00))?|[hH]\s*(\d{2})?)$")
# Excel writes a date cell that holds a time of day as « 15/03/2027 00:00:00 »: midnight only.
MIDNIGHT = r"(?:[ T]+00:00(?::00)?)?"
ISO_DATE_RE = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){MIDNIGHT}$")
FRENCH_DATE_RE = re.compile(rf"^(\d{{1,2}})/(\d{{1,2}})/(\d{{4}}|\d{{2}}){MIDNIGHT}$")
# A feed writes the same dates, hours and breaks on many lines: each text is converted once (the
# texts that convert; a wrong one is reported on every line it is on).
CACHED = 20_000
_days: dict[str, date] = {}
_times: dict[str, time] = {}
_breaks: dict[str, int] = {}


def _remember(cache: dict, text: str, value):
    if len(cache) >= CACHED:
        cache.clear()
    cache[text] = value
    return value


def clean(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def parse_day(value, errors: list, where: str) -> date | None:
    """15/03/2027, 15/03/27 (20YY), 2027-03-15, each possibly followed by Excel's 00:00:00."""
    text = clean(value)
    day = _days.get(text)
    if day is not None:
        return day
    if not text:
        errors.append((where, gettext("Enter the date.")))
        return None
    parts = None
    if match := ISO_DATE_RE.match(text):
        parts = (match.group(1), match.group(2), match.group(3))
    elif match := FRENCH_DATE_RE.match(text):
        year = match.group(3)
        parts = (f"20{year}" if len(year) == 2 else year, match.group(2), match.group(1))
    try:
        if parts is None:
            raise ValueError
        return _remember(_days, text, date(int(parts[0]), int(parts[1]), int(parts[2])))
    except ValueError:
        errors.append(
            (
                where,
                gettext("« %(value)s » is not a date: write 15/03/2027, 15/03/27 or 2027-03-15.", value=text),
            )
        )
        return None


def parse_time(value, errors: list, where: str, missing) -> time | None:
    """`missing` is the message when there is no time: a string, or a lazy string (`lazy_gettext`),
    translated only when it is needed."""
    text = clean(value)
    known = _times.get(text)
    if known is not None:
        return known
    if not text:
        errors.append((where, str(missing)))
        return None
    match = TIME_RE.match(text)
    try:
        if match is None:
            raise ValueError
        return _remember(_times, text, time(int(match.group(1)), int(match.group(2) or match.group(4) or 0)))
    except ValueError:
        errors.append(
            (
                where,
                gettext("« %(value)s » is not a time: write 09:00, 9:00, 09:00:00, 09h00 or 9h.", value=text),
            )
        )
        return None


def parse_int(value, errors: list, where: str, name: str) -> int | None:
    text = clean(value)
    if not text:
        return None
    if isinstance(value, bool) or not re.fullmatch(r"-?\d{1,6}", text):
        errors.append(
            (where, gettext("« %(value)s » is not a whole number (%(name)s).", value=text, name=name))
        )
        return None
    return int(text)


def parse_break(value, errors: list, where: str) -> int:
    text = value if isinstance(value, str) else None
    known = _breaks.get(text) if text is not None else None
    if known is not None:
        return known
    problems = len(errors)
    minutes = parse_int(value, errors, where, "break_minutes")
    if minutes is not None and minutes < 0:
        errors.append(
            (
                where,
                gettext(
                    "« %(value)s » is not a whole number (%(name)s).", value=minutes, name="break_minutes"
                ),
            )
        )
        return 0
    if text is not None and len(errors) == problems:
        _remember(_breaks, text, minutes or 0)
    return minutes or 0


def _folded(text: str) -> str:
    """Lower case, without accents: « Oui », « OUI » and « ôui » are the same answer."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def parse_bool(value, errors: list, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = clean(value)
    folded = _folded(text)
    if folded in TRUE:
        return True
    if folded not in FALSE:
        errors.append(
            (
                where,
                gettext(
                    "« %(value)s » is not yes or no (%(name)s): write oui or non (or VRAI/FAUX, 1/0, "
                    "true/false, x, or empty for no).",
                    value=text,
                    name=name,
                ),
            )
        )
    return False


def split_trainers(value) -> list[str]:
    if isinstance(value, list):
        return [clean(item) for item in value if clean(item)]
    return [part.strip() for part in re.split(r"[|;\n]", clean(value)) if part.strip()]


def session_values(raw: dict, given: set[str], errors: list, where) -> dict:
    """The session's own values, converted; `where(name)` tells where a value is."""
    values: dict = {}
    for name in SESSION_COLUMNS:
        if name not in given:
            continue
        if name in INTEGER_FIELDS:
            number = parse_int(raw.get(name), errors, where(name), name)
            if number is not None:
                values[name] = number
        elif name == "session_type":
            text = clean(raw.get(name)).upper()
            if text and text not in {"INTER", "INTRA"}:
                errors.append(
                    (where(name), gettext("Unknown session type « %(value)s »: INTER or INTRA.", value=text))
                )
            elif text:
                values[name] = text
        else:  # an empty value leaves the formation's default (creation) or the current value
            text = clean(raw.get(name))
            if text:
                values[name] = text
    if not values.get("training"):
        errors.append((where("training"), gettext("Enter the training (its reference or its name).")))
    return values


def slot_values(raw: dict, given: set[str]) -> dict:
    values: dict = {}
    for name in SLOT_COLUMNS:
        if name not in given:
            continue
        if name == "trainers":
            values[name] = split_trainers(raw.get(name))
        else:
            values[name] = clean(raw.get(name)) or None
    return values


def check_reference(reference: str, errors: list, where: str) -> None:
    if not reference:
        errors.append((where, gettext("Enter the session's reference.")))
    elif len(reference) > MAX_REFERENCE:
        errors.append((where, gettext("The reference is longer than %(n)s characters.", n=MAX_REFERENCE)))
    elif any(ord(character) < 32 or ord(character) == 127 for character in reference):
        errors.append((where, gettext("The reference contains control characters.")))


def mark_duplicates(sessions: list[FeedSession]) -> None:
    """The same reference twice in one file: every occurrence is refused (which one is right?)."""
    seen: dict[str, list[FeedSession]] = {}
    for session in sessions:
        if session.reference:
            seen.setdefault(session.reference, []).append(session)
    for reference, group in seen.items():
        if len(group) < 2:
            continue
        places = ", ".join(session.where for session in group)
        for session in group:
            session.errors.insert(
                0,
                (
                    session.where,
                    gettext(
                        "The reference %(reference)s appears more than once in the file (%(places)s).",
                        reference=reference,
                        places=places,
                    ),
                ),
            )
