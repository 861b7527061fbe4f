"""Reading a partner's feed: fetch it (uploaded file, file or folder on the server, HTTPS address),
decode it and parse CSV or JSON into sessions, each with its sequences, slots and dates, and the
line (CSV) or JSON path of every value, so that a problem names where it is.

Nothing here touches the database: `services/imports.py` matches what is read against the sessions.
The formats are documented in docs/partner-import.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext

from ...models import FeedFormat
from ..errors import DomainError

FETCH_TIMEOUT = 30  # seconds, to connect and between two reads
MAX_REFERENCE = 120
REQUIRED_COLUMNS = ("reference", "training", "date", "start_time", "end_time")
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
TRUE = {"1", "yes", "true", "oui", "y", "o", "x"}
FALSE = {"0", "no", "false", "non", "n", ""}
TIME_RE = re.compile(r"^(\d{1,2})\s*[:hH]\s*(\d{2})?$")
ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
FRENCH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class FeedError(DomainError):
    """The whole file cannot be read: the run fails with this message and nothing is imported."""


@dataclass
class FeedDate:
    where: str
    day: date | None
    start: time | None
    end: time | None
    break_minutes: int


@dataclass
class FeedSlot:
    where: str
    key: str
    values: dict = field(default_factory=dict)  # only the fields the feed gives
    dates: list[FeedDate] = field(default_factory=list)
    first: dict = field(default_factory=dict)  # CSV: each column's first value and its line


@dataclass
class FeedSequence:
    where: str
    label: str
    values: dict = field(default_factory=dict)
    slots: list[FeedSlot] = field(default_factory=list)
    first: dict = field(default_factory=dict)


@dataclass
class FeedSession:
    """One session of the feed; `errors` holds (where, message) for every problem found in it."""

    where: str
    reference: str
    values: dict = field(default_factory=dict)
    sequences: list[FeedSequence] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def first_day(self) -> date | None:
        days = [d.day for s in self.sequences for slot in s.slots for d in slot.dates if d.day]
        return min(days) if days else None


# --- Getting the bytes ------------------------------------------------------------------------


def max_bytes() -> int:
    return current_app.config["TRAINADMIN_MAX_UPLOAD_MB"] * 1024 * 1024


def too_big() -> FeedError:
    return FeedError(
        gettext(
            "The file is over the size limit of %(mb)s MB.",
            mb=current_app.config["TRAINADMIN_MAX_UPLOAD_MB"],
        )
    )


def read_limited(stream, limit: int | None = None) -> bytes:
    """At most the size limit from a stream (an upload, a response), or FeedError."""
    limit = max_bytes() if limit is None else limit
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_big()
    return data


def read_path(path_text: str, feed_format: FeedFormat) -> tuple[str, bytes]:
    """A file, or the newest file with the format's extension in a folder: (name, content)."""
    path = Path(path_text)
    try:
        if path.is_dir():
            candidates = [
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() == f".{feed_format.value}"
            ]
            if not candidates:
                raise FeedError(
                    gettext(
                        "No %(format)s file in the folder %(path)s.",
                        format=feed_format.value.upper(),
                        path=path_text,
                    )
                )
            path = max(candidates, key=lambda p: (p.stat().st_mtime, p.name))
        if path.stat().st_size > max_bytes():
            raise too_big()
        with path.open("rb") as handle:
            return path.name, read_limited(handle)
    except OSError as exc:
        raise FeedError(
            gettext("The file %(path)s cannot be read: %(reason)s", path=path_text, reason=exc.strerror)
        ) from None


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme != "https":
            raise urllib.error.URLError(gettext("redirected to an address that is not https://"))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_url(url: str) -> tuple[str, bytes]:
    """GET an https:// address with a timeout and the size limit; certificates are checked."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise FeedError(gettext("Only https:// addresses are accepted."))
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=ssl.create_default_context()), _HttpsOnlyRedirects()
    )
    request = urllib.request.Request(url, headers={"User-Agent": "TrainAdmin partner import"})  # noqa: S310
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes():
                raise too_big()
            data = read_limited(response)
    except urllib.error.HTTPError as exc:
        raise FeedError(
            gettext("The feed could not be fetched from %(url)s: %(reason)s", url=url, reason=exc.code)
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FeedError(
            gettext("The feed could not be fetched from %(url)s: %(reason)s", url=url, reason=reason)
        ) from None
    name = Path(parts.path).name or parts.netloc
    return name, data


# --- Text ---------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without its mark) or, failing that, Windows-1252 (Excel's « CSV » in France)."""
    if not data.strip():
        raise FeedError(gettext("The file is empty."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FeedError(gettext("The file is neither UTF-8 nor Windows-1252 text.")) from None


def parse(data: bytes, feed_format: FeedFormat) -> list[FeedSession]:
    text = decode(data)
    sessions = parse_json(text) if feed_format == FeedFormat.JSON else parse_csv(text)
    if not sessions:
        raise FeedError(gettext("The file holds no session."))
    mark_duplicates(sessions)
    return sessions


# --- Values -------------------------------------------------------------------------------------


def clean(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def parse_day(value, errors: list, where: str) -> date | None:
    text = clean(value)
    if not text:
        errors.append((where, gettext("Enter the date.")))
        return None
    match = ISO_DATE_RE.match(text)
    parts = (match.group(1), match.group(2), match.group(3)) if match else None
    if parts is None and (match := FRENCH_DATE_RE.match(text)):
        parts = (match.group(3), match.group(2), match.group(1))
    try:
        if parts is None:
            raise ValueError
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        errors.append(
            (where, gettext("« %(value)s » is not a date (expected 2027-03-15 or 15/03/2027).", value=text))
        )
        return None


def parse_time(value, errors: list, where: str, missing: str) -> time | None:
    text = clean(value)
    if not text:
        errors.append((where, missing))
        return None
    match = TIME_RE.match(text)
    try:
        if match is None:
            raise ValueError
        return time(int(match.group(1)), int(match.group(2) or 0))
    except ValueError:
        errors.append((where, gettext("« %(value)s » is not a time (expected 09:00).", value=text)))
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
    return minutes or 0


def parse_bool(value, errors: list, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = clean(value).lower()
    if text in TRUE:
        return True
    if text not in FALSE:
        errors.append((where, gettext("« %(value)s » is not yes or no (%(name)s).", value=text, name=name)))
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


# --- CSV ----------------------------------------------------------------------------------------


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d])


def parse_csv(text: str) -> list[FeedSession]:
    """One line per slot date; the lines of a session follow each other (see docs/partner-import.md)."""
    header_line = text.splitlines()[0] if text else ""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise FeedError(gettext("The file is empty.")) from None
    columns = [name.strip().lower().lstrip("\ufeff") for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FeedError(gettext("Missing column(s): %(columns)s.", columns=", ".join(missing)))
    given = set(columns)
    sessions: list[FeedSession] = []
    current: FeedSession | None = None
    first_lines: dict[str, dict[str, tuple[str, str]]] = {}
    try:
        for row in reader:
            line = str(reader.line_num)
            if not any(cell.strip() for cell in row):
                continue
            raw = dict(zip(columns, (cell.strip() for cell in row), strict=False))
            reference = raw.get("reference", "")
            if current is None or reference != current.reference:
                current = FeedSession(where=line, reference=reference)
                check_reference(reference, current.errors, line)
                current.values = session_values(raw, given, current.errors, lambda _name, line=line: line)
                first_lines[id(current)] = {name: (raw.get(name, ""), line) for name in SESSION_COLUMNS}
                sessions.append(current)
            else:
                _check_same(current, raw, first_lines[id(current)], SESSION_COLUMNS, line)
            _add_csv_row(current, raw, given, line)
    except csv.Error as exc:
        raise FeedError(
            gettext("The CSV file cannot be read at line %(line)s.", line=reader.line_num)
        ) from exc
    return sessions


def _check_same(owner, raw: dict, first: dict, names, line: str) -> None:
    """A value repeated on a following line of the same session or slot may be empty or the same."""
    for name in names:
        value = raw.get(name, "")
        if value and first.get(name, ("", ""))[0] and value != first[name][0]:
            owner.errors.append(
                (
                    line,
                    gettext(
                        "Column %(column)s differs from line %(line)s of the same session.",
                        column=name,
                        line=first[name][1],
                    ),
                )
            )
        elif value and name in first and not first[name][0]:
            first[name] = (value, line)


def _add_csv_row(session: FeedSession, raw: dict, given: set[str], line: str) -> None:
    errors = session.errors
    label = raw.get("sequence", "") or session.values.get("title") or session.values.get("training") or "1"
    sequence = next((s for s in session.sequences if s.label == label), None)
    if sequence is None:
        sequence = FeedSequence(where=line, label=label)
        if "teaching_mode" in given:
            sequence.values["teaching_mode"] = raw.get("teaching_mode") or None
        if "prework" in given:
            sequence.values["prework"] = parse_bool(raw.get("prework"), errors, line, "prework")
        sequence.first = {name: (raw.get(name, ""), line) for name in SEQUENCE_COLUMNS}
        session.sequences.append(sequence)
    else:
        _check_same(session, raw, sequence.first, SEQUENCE_COLUMNS, line)
    key = raw.get("slot", "") or "1"
    slot = next((s for s in sequence.slots if s.key == key), None)
    if slot is None:
        slot = FeedSlot(where=line, key=key, values=slot_values(raw, given))
        slot.first = {name: (raw.get(name, ""), line) for name in SLOT_COLUMNS}
        sequence.slots.append(slot)
    else:
        _check_same(session, raw, slot.first, SLOT_COLUMNS, line)
    slot.dates.append(
        FeedDate(
            where=line,
            day=parse_day(raw.get("date"), errors, line),
            start=parse_time(raw.get("start_time"), errors, line, gettext("Enter the start time.")),
            end=parse_time(raw.get("end_time"), errors, line, gettext("Enter the end time.")),
            break_minutes=parse_break(raw.get("break_minutes"), errors, line),
        )
    )


# --- JSON ---------------------------------------------------------------------------------------


def parse_json(text: str) -> list[FeedSession]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(
            gettext(
                "The file is not valid JSON (line %(line)s, column %(column)s).",
                line=exc.lineno,
                column=exc.colno,
            )
        ) from None
    root = "$"
    if isinstance(document, dict) and "sessions" in document:
        document, root = document["sessions"], "$.sessions"
    if not isinstance(document, list):
        raise FeedError(
            gettext("The JSON file must hold a list of sessions, or an object with a « sessions » list.")
        )
    return [_json_session(item, f"{root}[{index}]") for index, item in enumerate(document)]


def _object(value, path: str, errors: list) -> dict:
    if isinstance(value, dict):
        return value
    errors.append((path, gettext("An object { … } is expected here.")))
    return {}


def _list(value, path: str, errors: list) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    errors.append((path, gettext("A list [ … ] is expected here.")))
    return []


def _json_session(item, path: str) -> FeedSession:
    errors: list[tuple[str, str]] = []
    raw = _object(item, path, errors)
    reference = clean(raw.get("reference"))
    session = FeedSession(where=path, reference=reference, errors=errors)
    check_reference(reference, errors, f"{path}.reference")
    session.values = session_values(raw, set(raw), errors, lambda name: f"{path}.{name}")
    for s_index, s_item in enumerate(_list(raw.get("sequences"), f"{path}.sequences", errors)):
        s_path = f"{path}.sequences[{s_index}]"
        s_raw = _object(s_item, s_path, errors)
        label = clean(s_raw.get("label"))
        if not label:
            errors.append((f"{s_path}.label", gettext("Enter the sequence's label.")))
        sequence = FeedSequence(where=s_path, label=label)
        if "teaching_mode" in s_raw:
            sequence.values["teaching_mode"] = clean(s_raw.get("teaching_mode")) or None
        sequence.values["prework"] = parse_bool(s_raw.get("prework"), errors, f"{s_path}.prework", "prework")
        for t_index, t_item in enumerate(_list(s_raw.get("slots"), f"{s_path}.slots", errors)):
            t_path = f"{s_path}.slots[{t_index}]"
            t_raw = _object(t_item, t_path, errors)
            slot = FeedSlot(where=t_path, key=str(t_index), values=slot_values(t_raw, set(t_raw)))
            for d_index, d_item in enumerate(_list(t_raw.get("dates"), f"{t_path}.dates", errors)):
                d_path = f"{t_path}.dates[{d_index}]"
                d_raw = _object(d_item, d_path, errors)
                slot.dates.append(
                    FeedDate(
                        where=d_path,
                        day=parse_day(d_raw.get("date"), errors, f"{d_path}.date"),
                        start=parse_time(
                            d_raw.get("start_time"),
                            errors,
                            f"{d_path}.start_time",
                            gettext("Enter the start time."),
                        ),
                        end=parse_time(
                            d_raw.get("end_time"),
                            errors,
                            f"{d_path}.end_time",
                            gettext("Enter the end time."),
                        ),
                        break_minutes=parse_break(
                            d_raw.get("break_minutes"), errors, f"{d_path}.break_minutes"
                        ),
                    )
                )
            sequence.slots.append(slot)
        session.sequences.append(sequence)
    return session
