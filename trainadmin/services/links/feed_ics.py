"""The iCalendar text of a calendar feed (`feeds.py` chooses its dates). The calendar's head and its
VTIMEZONE are written by the `icalendar` library, once per feed; each VEVENT is written here, line
by line, exactly as `icalendar` writes the same event (`Event.new` with the same properties, TEXT
escaping and folding at 75 octets: the tests compare both) but about ten times faster — the library
builds, checks then folds each property, 0.4–0.8 ms per event, seconds for a busy room.

An event: SUMMARY « code — libellé » (« Annulé : », « Brouillon : » before it), DTSTART and DTEND in
local wall-clock time with the TZID, DTSTAMP, UID, SEQUENCE, DESCRIPTION (the sequence, pre-work,
the number of enrolled participants), LAST-MODIFIED, LOCATION, STATUS, TRANSP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext

from ...clock import local_today
from ..notifications import ics
from ..notifications.places import full_place
from .trainers import TrainerDay

#: How often a client should read the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
END = "END:VCALENDAR\r\n"
#: RFC 5545: lines of at most 75 octets, then CRLF and a space.
FOLD_AT = 75


@dataclass(frozen=True)
class FeedEvent:
    day: TrainerDay
    #: 1 for the slot's first date, 2 for its second…
    rank: int
    revision: int
    changed_at: datetime
    uid: str


@dataclass(frozen=True)
class _Words:
    """The feed's words in the language it is written in, translated once per feed."""

    cancelled: str
    draft: str
    sequence: str
    prework: str
    enrolled: str

    @classmethod
    def now(cls) -> _Words:
        return cls(
            gettext("Cancelled: %(summary)s"),
            gettext("Draft: %(summary)s"),
            gettext("Sequence: %(label)s"),
            gettext("Pre-work to do before the session."),
            gettext("Enrolled participants: %(count)s"),
        )


def calendar_text(name, events: list[FeedEvent], today: date | None = None) -> str:
    """The iCalendar text of a feed called `name` (a lazy text, written in the default language);
    no METHOD: a published calendar, not an invitation."""
    icalendar = ics.icalendar_module()
    tzid = current_app.config["TRAINADMIN_TZ"]
    today = today or local_today()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = str(name)
        words = _Words.now()
    days = [event.day.slot_date.day for event in events] or [today]
    calendar = icalendar.Calendar.new(
        prodid=ics.PRODID,
        name=name,
        refresh_interval=REFRESH,
        subcomponents=[ics.vtimezone(tzid, min(days), max(days))],
    )
    calendar.pop("UID", None)  # a calendar-level UID (RFC 7986) would change at every reading
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar.add("x-wr-timezone", tzid)
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    head = calendar.to_ical().decode()
    assert head.endswith(END)
    return "".join([head[: -len(END)], *(event_text(event, tzid, words) for event in events), END])


def event_text(event: FeedEvent, tzid: str, words: _Words | None = None) -> str:
    """The VEVENT of one date of a feed, CRLF line ends, folded."""
    words = words or _Words.now()
    day = event.day
    slot_date, session, sequence = day.slot_date, day.session, day.sequence
    summary = f"{session.code} — {session.label}"
    status, transparency = "CONFIRMED", "OPAQUE"
    if day.cancelled:
        summary = words.cancelled % {"summary": summary}
        status, transparency = "CANCELLED", "TRANSPARENT"
    elif day.draft:
        summary = words.draft % {"summary": summary}
        status = "TENTATIVE"
    description = [words.sequence % {"label": sequence.label}]
    if sequence.is_prework:
        description.append(words.prework)
    description.append(words.enrolled % {"count": session.enrolled_count})
    stamp = event.changed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    location = full_place(day.slot.location, day.slot.room) or sequence.url
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _escape(summary),
        f"DTSTART;TZID={tzid}:{_local(slot_date.day, slot_date.start_time)}",
        f"DTEND;TZID={tzid}:{_local(slot_date.day, slot_date.end_time)}",
        f"DTSTAMP:{stamp}",
        "UID:" + _escape(event.uid),
        f"SEQUENCE:{event.revision}",
        "DESCRIPTION:" + _escape("\n".join(description)),
        f"LAST-MODIFIED:{stamp}",
    ]
    if location:
        lines.append("LOCATION:" + _escape(location))
    lines += [f"STATUS:{status}", f"TRANSP:{transparency}", "END:VEVENT"]
    return "".join(_fold(line) + "\r\n" for line in lines)


def _local(day: date, at) -> str:
    return f"{day:%Y%m%d}T{at:%H%M%S}"


def _escape(text: str) -> str:
    """RFC 5545 TEXT, as `icalendar` escapes it (the order of the replacements matters)."""
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _fold(line: str) -> str:
    """A content line folded as `icalendar` folds it: at most 74 octets of the line on each
    physical line, never between a character and the backslash (or ^) that escapes it."""
    if len(line) < FOLD_AT and (line.isascii() or len(line.encode()) < FOLD_AT):
        return line
    folded, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        if current and size + width >= FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                escape = current.pop()
                folded.append("".join(current))
                current, size = [escape], len(escape.encode())
            else:
                folded.append("".join(current))
                current, size = [], 0
        current.append(char)
        size += width
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)
