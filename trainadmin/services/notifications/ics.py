"""The iCalendar text of one invitation: one sequence, one participant, one UID.

A sequence spread over several days is ONE recurring event: a master VEVENT for the first day with
`RRULE:FREQ=DAILY;INTERVAL=n;COUNT=k` (n = the largest step that lands on every day), one
multi-valued EXDATE for the steps that are not training days, and a VEVENT with the same UID and a
RECURRENCE-ID for each day whose hours or place differ from the first day's. That is the shape
Outlook itself exports for a meeting series with moved and deleted occurrences (MS-OXCICAL
RRULE / EXDATE / RECURRENCE-ID), and the one Google Calendar exports; RDATE was rejected because
Outlook refuses a VEVENT with RDATE but no RRULE (« not supported calendar message.ics »).

Times are local wall-clock times with a TZID and a VTIMEZONE written with yearly RRULEs (one
STANDARD, one DAYLIGHT), the form Outlook reads; icalendar's dated form (RDATEs) makes Outlook
shift the summer days by an hour. A zone whose transitions follow no yearly rule falls back to
icalendar's bounded VTIMEZONE.
"""

from __future__ import annotations

import calendar as _calendar
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from math import gcd
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Calendar, Event, Timezone


@cache
def icalendar_module():
    """icalendar, imported when a calendar is first written or read (3 MiB a web process rarely needs)."""
    import icalendar

    return icalendar


PRODID = "-//TrainAdmin//Sessions//FR"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Day:
    """One training day of a sequence, local wall-clock times."""

    start: datetime
    end: datetime
    location: str


@dataclass(frozen=True)
class Invitation:
    """What one participant's calendar shows for one sequence."""

    uid: str
    summary: str
    description: str
    days: tuple[Day, ...]
    organizer_email: str
    organizer_name: str | None
    attendee_email: str
    attendee_name: str
    url: str | None = None

    def digest(self) -> str:
        """Hash of what the participant sees (not the organizer, SEQUENCE or DTSTAMP)."""
        content = {
            "summary": self.summary,
            "description": self.description,
            "url": self.url,
            "days": [[d.start.isoformat(), d.end.isoformat(), d.location] for d in self.days],
            "attendee": [self.attendee_email.lower(), self.attendee_name],
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def request_text(invitation: Invitation, sequence: int, tzid: str, stamp: datetime | None = None) -> str:
    """METHOD:REQUEST: the whole series (master and its different days)."""
    return _calendar_text(invitation, "REQUEST", sequence, tzid, stamp)


def cancel_text(invitation: Invitation, sequence: int, tzid: str, stamp: datetime | None = None) -> str:
    """METHOD:CANCEL of the whole series: the master only, STATUS:CANCELLED."""
    return _calendar_text(invitation, "CANCEL", sequence, tzid, stamp)


def cancel_from_previous(previous: str, sequence: int, stamp: datetime | None = None) -> str:
    """A CANCEL made from the last REQUEST sent, when the sequence has no date left to describe."""
    old = icalendar_module().Calendar.from_ical(previous)
    masters = [e for e in old.events if "RECURRENCE-ID" not in e]
    event = masters[0] if masters else old.events[0]
    _mark(event, sequence, "CANCELLED", stamp)
    cal = icalendar_module().Calendar.new(
        method="CANCEL", prodid=PRODID, subcomponents=[*old.timezones, event]
    )
    return _text(cal)


def _calendar_text(invitation: Invitation, method: str, sequence: int, tzid: str, stamp) -> str:
    tz = ZoneInfo(tzid)
    days = invitation.days
    status = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
    if not days:  # a CANCEL of an invitation whose dates are gone: the UID is what counts
        master = _event(invitation, None, None, invitation.description)
        _mark(master, sequence, status, stamp)
        return _text(icalendar_module().Calendar.new(method=method, prodid=PRODID, subcomponents=[master]))
    first = days[0]
    master = _event(invitation, first, tz, invitation.description)
    components = [master]
    if len(days) > 1:
        step, count, skipped = recurrence(days)
        master.add("rrule", {"freq": "daily", "interval": step, "count": count})
        if skipped:
            master.add("exdate", [_local(datetime.combine(day, first.start.time()), tz) for day in skipped])
        if method == "REQUEST":
            components.extend(_overrides(invitation, days, tz))
    for component in components:
        _mark(component, sequence, status, stamp)
    cal = icalendar_module().Calendar.new(
        method=method,
        prodid=PRODID,
        subcomponents=[vtimezone(tzid, days[0].start.date(), days[-1].end.date()), *components],
    )
    return _text(cal)


def _overrides(invitation: Invitation, days: tuple[Day, ...], tz: ZoneInfo) -> list[Event]:
    """A VEVENT per day whose hours or place differ from the first day's."""
    first = days[0]
    shape = (first.start.time(), first.end.time(), first.location)
    overrides = []
    for day in days[1:]:
        if (day.start.time(), day.end.time(), day.location) == shape:
            continue
        override = _event(invitation, day, tz, invitation.description)
        override.add("recurrence-id", _local(datetime.combine(day.start.date(), first.start.time()), tz))
        overrides.append(override)
    return overrides


def recurrence(days: tuple[Day, ...]) -> tuple[int, int, list[date]]:
    """(interval in days, count, dates of the rule that are not training days)."""
    first = days[0].start.date()
    offsets = [(d.start.date() - first).days for d in days]
    step = gcd(*offsets) or 1
    count = offsets[-1] // step + 1
    present = set(offsets)
    skipped = [first + timedelta(days=k * step) for k in range(count) if k * step not in present]
    return step, count, skipped


def _event(invitation: Invitation, day: Day | None, tz: ZoneInfo | None, description: str) -> Event:
    event = icalendar_module().Event.new(
        uid=invitation.uid,
        summary=invitation.summary,
        description=description or None,
        location=(day.location or None) if day else None,
        start=_local(day.start, tz) if day else None,
        end=_local(day.end, tz) if day else None,
        organizer=icalendar_module().vCalAddress.new(
            invitation.organizer_email, cn=invitation.organizer_name or None
        ),
        attendees=[
            icalendar_module().vCalAddress.new(
                invitation.attendee_email,
                cn=invitation.attendee_name or None,
                cutype="INDIVIDUAL",
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp=True,
            )
        ],
        url=invitation.url or None,
    )
    event.add("transp", "OPAQUE")
    return event


def _mark(event: Event, sequence: int, status: str, stamp: datetime | None) -> None:
    for name in ("SEQUENCE", "STATUS", "DTSTAMP"):
        event.pop(name, None)
    event.add("sequence", sequence)
    event.add("status", status)
    event.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0))


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.replace(tzinfo=tz)


def _text(cal: Calendar) -> str:
    cal.pop("UID", None)  # a calendar-level UID (RFC 7986) would only confuse older clients
    return cal.to_ical().decode()


# --- VTIMEZONE ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Onset:
    month: int
    weekday: int
    ordinal: int  # 1..4, or -1 for the last one of the month
    at: tuple[int, int]
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """The zone as Outlook reads it: one STANDARD and one DAYLIGHT with yearly rules."""
    tz = ZoneInfo(tzid)
    onsets = _onsets(tzid, first.year - 1, last.year + 1)
    kinds: dict[bool, set[_Onset]] = {}
    for onset in onsets:
        kinds.setdefault(onset.daylight, set()).add(onset)
    anchor = first.year - 1
    component = icalendar_module().Timezone()
    component.add("tzid", tzid)
    if not onsets:  # no change of offset: one fixed STANDARD
        noon = datetime(first.year, first.month, first.day, 12, tzinfo=tz)
        fixed = icalendar_module().TimezoneStandard()
        fixed.add("dtstart", datetime(1970, 1, 1))
        fixed.add("tzoffsetfrom", noon.utcoffset())
        fixed.add("tzoffsetto", noon.utcoffset())
        fixed.add("tzname", noon.tzname() or tzid)
        component.add_component(fixed)
        return component
    if set(kinds) != {True, False} or any(len(rules) != 1 for rules in kinds.values()):
        return icalendar_module().Timezone.from_tzid(
            tzid, first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1)
        )
    for daylight in (False, True):
        (onset,) = kinds[daylight]
        part = icalendar_module().TimezoneDaylight() if daylight else icalendar_module().TimezoneStandard()
        day = _nth_weekday(anchor, onset.month, onset.weekday, onset.ordinal)
        part.add("dtstart", datetime(day.year, day.month, day.day, *onset.at))
        part.add(
            "rrule",
            {"freq": "yearly", "bymonth": onset.month, "byday": f"{onset.ordinal}{WEEKDAYS[onset.weekday]}"},
        )
        part.add("tzoffsetfrom", onset.offset_from)
        part.add("tzoffsetto", onset.offset_to)
        part.add("tzname", onset.name)
        component.add_component(part)
    return component


@lru_cache(maxsize=64)
def _onsets(tzid: str, first_year: int, last_year: int) -> tuple[_Onset, ...]:
    """Every change of UTC offset between the two years, as local onset rules."""
    tz = ZoneInfo(tzid)
    found = []
    moment = datetime(first_year, 1, 1, 12, tzinfo=UTC)
    end = datetime(last_year, 12, 31, 12, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment < end:
        following = moment + timedelta(days=1)
        new_offset = following.astimezone(tz).utcoffset()
        if new_offset != offset:
            low, high = moment, following  # the change is in (low, high]: bisect to the minute
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            change = high.replace(second=0, microsecond=0)
            local = (change + offset).replace(tzinfo=None)  # RFC 5545: onset in the old offset
            after = change.astimezone(tz)
            last_day = _calendar.monthrange(local.year, local.month)[1]
            found.append(
                _Onset(
                    month=local.month,
                    weekday=local.weekday(),
                    ordinal=-1 if local.day + 7 > last_day else (local.day - 1) // 7 + 1,
                    at=(local.hour, local.minute),
                    offset_from=offset,
                    offset_to=new_offset,
                    name=after.tzname() or "",
                    daylight=bool(after.dst()),
                )
            )
            offset = new_offset
        moment = following
    return tuple(found)


def _nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    days = [date(year, month, d) for d in range(1, _calendar.monthrange(year, month)[1] + 1)]
    matching = [d for d in days if d.weekday() == weekday]
    return matching[-1] if ordinal == -1 else matching[ordinal - 1]
