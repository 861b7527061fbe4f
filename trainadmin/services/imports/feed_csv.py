"""CSV feeds: one line per slot date, the lines of a session following each other; the values
repeated on a session's lines must agree (see docs/partner-import.md)."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext, lazy_gettext

from .feed_items import FeedDate, FeedError, FeedSequence, FeedSession, FeedSlot, feed_digest
from .feed_text import FeedText, find_separator, separator_name
from .feed_values import (
    SEQUENCE_COLUMNS,
    SESSION_COLUMNS,
    SLOT_COLUMNS,
    check_reference,
    parse_bool,
    parse_break,
    parse_day,
    parse_time,
    session_values,
    slot_values,
)

REQUIRED_COLUMNS = ("reference", "training", "date", "start_time", "end_time")
MISSING_START = lazy_gettext("Enter the start time.")
MISSING_END = lazy_gettext("Enter the end time.")


def parse_csv(feed: FeedText, known: dict[str, str] | None = None) -> list[FeedSession]:
    """One line per slot date; the lines of a session follow each other (see docs/partner-import.md).
    A session, and each of its problems, is placed at the line its row starts on.

    `known` maps references to the digest of the lines they were last imported from: a session whose
    lines have that digest is returned as `known`, unread (nothing in it changed)."""
    separator, sep_line = find_separator(feed.text)
    read_as = {"encoding": feed.encoding, "separator": separator_name(separator)}
    reader = csv.reader(io.StringIO(feed.text, newline=""), delimiter=separator)
    try:
        if sep_line:
            next(reader)
        header = next(reader)
    except StopIteration:
        raise FeedError(gettext("The file is empty.")) from None
    except csv.Error:
        raise FeedError(_unreadable(reader.line_num, read_as)) from None
    columns = [name.strip().lower().lstrip("\ufeff") for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FeedError(
            gettext(
                "Missing column(s): %(columns)s (file read as %(encoding)s, separator %(separator)s).",
                columns=", ".join(missing),
                **read_as,
            )
        )
    groups = _session_lines(reader, columns.index("reference"), read_as)
    salt = "\x1e".join(["csv-1", *columns])
    known = known or {}
    rows = _Rows(columns)
    sessions: list[FeedSession] = []
    for reference, lines in groups:
        digest = feed_digest(salt, ("\x1f".join(row) for _line, row in lines))
        if known.get(reference) == digest:
            sessions.append(FeedSession(where=lines[0][0], reference=reference, digest=digest, known=True))
            continue
        session = FeedSession(where=lines[0][0], reference=reference, digest=digest)
        rows.read(session, lines)
        sessions.append(session)
    return sessions


class _Rows:
    """Reads a session's lines into its values, sequences, slots and dates."""

    def __init__(self, columns: list[str]):
        self.columns = columns
        self.given = set(columns)
        # The columns repeated on a session's, a sequence's and a slot's lines that the file has: a
        # following line whose values are those of the first one needs no comparison (`_check_same`).
        self.repeated = {
            names: [name for name in names if name in self.given]
            for names in (SESSION_COLUMNS, SEQUENCE_COLUMNS, SLOT_COLUMNS)
        }

    def read(self, session: FeedSession, lines: list[tuple[str, list]]) -> None:
        check_reference(session.reference, session.errors, session.where)
        columns, given, session_columns = self.columns, self.given, self.repeated[SESSION_COLUMNS]
        strip = str.strip
        first_lines: dict[str, tuple[str, str]] = {}
        for line, row in lines:
            raw = dict(zip(columns, map(strip, row), strict=False))
            if not first_lines:
                session.values = session_values(raw, given, session.errors, lambda _name, line=line: line)
                first_lines = {name: (raw.get(name, ""), line) for name in SESSION_COLUMNS}
            elif any(raw.get(name, "") != first_lines[name][0] for name in session_columns):
                _check_same(session, raw, first_lines, SESSION_COLUMNS, line)
            self.add_row(session, raw, line)

    def add_row(self, session: FeedSession, raw: dict, line: str) -> None:
        errors, given = session.errors, self.given
        label = (
            raw.get("sequence", "") or session.values.get("title") or session.values.get("training") or "1"
        )
        for sequence in session.sequences:
            if sequence.label == label:
                if any(
                    raw.get(name, "") != sequence.first[name][0] for name in self.repeated[SEQUENCE_COLUMNS]
                ):
                    _check_same(session, raw, sequence.first, SEQUENCE_COLUMNS, line)
                break
        else:
            sequence = FeedSequence(where=line, label=label)
            if "teaching_mode" in given:
                sequence.values["teaching_mode"] = raw.get("teaching_mode") or None
            if "prework" in given:
                sequence.values["prework"] = parse_bool(raw.get("prework"), errors, line, "prework")
            sequence.first = {name: (raw.get(name, ""), line) for name in SEQUENCE_COLUMNS}
            session.sequences.append(sequence)
        key = raw.get("slot", "") or "1"
        for slot in sequence.slots:
            if slot.key == key:
                if any(raw.get(name, "") != slot.first[name][0] for name in self.repeated[SLOT_COLUMNS]):
                    _check_same(session, raw, slot.first, SLOT_COLUMNS, line)
                break
        else:
            slot = FeedSlot(where=line, key=key, values=slot_values(raw, given))
            slot.first = {name: (raw.get(name, ""), line) for name in SLOT_COLUMNS}
            sequence.slots.append(slot)
        slot.dates.append(
            FeedDate(
                line,
                parse_day(raw.get("date"), errors, line),
                parse_time(raw.get("start_time"), errors, line, MISSING_START),
                parse_time(raw.get("end_time"), errors, line, MISSING_END),
                parse_break(raw.get("break_minutes"), errors, line),
            )
        )


def _session_lines(reader, reference_column: int, read_as: dict) -> list[tuple[str, list[tuple[str, list]]]]:
    """The file's non-blank rows, grouped by session: (reference, [(line, cells), …]) for each run of
    rows with the same reference."""
    groups: list[tuple[str, list[tuple[str, list]]]] = []
    ended = reader.line_num  # the physical line the previous row ended on
    try:
        for row in reader:
            line, ended = str(ended + 1), reader.line_num
            if not "".join(row).strip():
                continue
            reference = row[reference_column].strip() if reference_column < len(row) else ""
            if groups and groups[-1][0] == reference:
                groups[-1][1].append((line, row))
            else:
                groups.append((reference, [(line, row)]))
    except csv.Error as exc:
        raise FeedError(_unreadable(reader.line_num, read_as)) from exc
    return groups


def _unreadable(line: int, read_as: dict) -> str:
    return gettext(
        "The CSV file cannot be read at line %(line)s (file read as %(encoding)s, separator %(separator)s).",
        line=line,
        **read_as,
    )


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
