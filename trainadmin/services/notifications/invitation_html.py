"""The HTML part of an invitation e-mail, rendered when it is sent from what the outbox row holds:
the event as its own calendar part describes it (title, each day with its hours and place — the
same days the participant's calendar will show) and the text of the plain part.

The template, `templates/emails/invitation.html`, is autoescaped (labels, places and comments are
typed by people), styled inline only, without images or fonts from elsewhere: mail clients drop
`<style>` blocks and block remote content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from dateutil.rrule import rrulestr
from flask import current_app
from flask_babel import force_locale, get_locale, gettext

from .ics import icalendar_module

TEMPLATE = "emails/invitation.html"
MAX_DAYS = 400  # a recurring event is shown up to this many days
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class ShownDay:
    """One day of the event, as the e-mail writes it."""

    start: datetime | date
    end: datetime | date | None
    place: str


@dataclass(frozen=True)
class ShownEvent:
    title: str
    cancelled: bool
    days: tuple[ShownDay, ...]
    link: str | None


def invitation_html(subject: str, body: str, calendar: str) -> str:
    event = shown_event(calendar, ZoneInfo(current_app.config["TRAINADMIN_TZ"]))
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        locale = get_locale()
        days = [
            {
                "date": format_date(_day(shown.start), "full", locale=locale),
                "hours": _hours(shown, locale),
                "place": shown.place,
            }
            for shown in event.days
        ]
        return current_app.jinja_env.get_template(TEMPLATE).render(
            lang=str(locale.language),
            subject=subject,
            title=event.title or subject,
            cancelled=event.cancelled,
            days=days,
            link=event.link,
            paragraphs=[part.split("\n") for part in PARAGRAPH_BREAK.split(body.strip("\n")) if part.strip()],
        )


def shown_event(calendar: str, tz: ZoneInfo) -> ShownEvent:
    """The event of an iCalendar text: the master's days (its rule, minus the EXDATEs, each
    RECURRENCE-ID with its own hours and place), in the time zone of the sessions."""
    cal = icalendar_module().Calendar.from_ical(calendar)
    events = list(cal.walk("VEVENT"))
    if not events:
        return ShownEvent("", str(cal.get("METHOD", "")).upper() == "CANCEL", (), None)
    master = next((e for e in events if "RECURRENCE-ID" not in e), events[0])
    cancelled = (
        str(cal.get("METHOD", "")).upper() == "CANCEL" or str(master.get("STATUS", "")).upper() == "CANCELLED"
    )
    link = str(master.get("URL", "") or "")
    return ShownEvent(
        title=str(master.get("SUMMARY", "") or ""),
        cancelled=cancelled,
        days=tuple(_days(master, events, tz)),
        link=link if link.lower().startswith(("https://", "http://")) else None,
    )


def _days(master, events, tz: ZoneInfo) -> list[ShownDay]:
    if "DTSTART" not in master:
        return []
    start = master.decoded("DTSTART")
    end = _end(master, start)
    if "RRULE" in master:
        rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=start)
        starts = list(islice(rule, MAX_DAYS))
        if not isinstance(start, datetime):  # a whole-day event: days, not midnights
            starts = [_day(occurrence) for occurrence in starts]
    else:
        starts = [start]
    excluded = {_key(d.dt) for exdate in _listed(master.get("EXDATE")) for d in exdate.dts}
    moved = {_key(e.decoded("RECURRENCE-ID")): e for e in events if "RECURRENCE-ID" in e}
    days = []
    for occurrence in starts:
        key = _key(occurrence)
        if key in excluded:
            continue
        event = moved.get(key)
        if event is not None and "DTSTART" in event:
            day_start = event.decoded("DTSTART")
            days.append(ShownDay(_local(day_start, tz), _local(_end(event, day_start), tz), _place(event)))
        else:
            day_end = occurrence + (end - start) if end is not None else None
            days.append(ShownDay(_local(occurrence, tz), _local(day_end, tz), _place(master)))
    return days


def _end(event, start):
    if "DTEND" in event:
        return event.decoded("DTEND")
    if "DURATION" in event:
        return start + event.decoded("DURATION")
    return None


def _place(event) -> str:
    return str(event.get("LOCATION", "") or "")


def _listed(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _key(value):
    """Occurrences compared as instants (aware), floating times or days."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else value
    return datetime.combine(value, time())


def _local(value, tz: ZoneInfo):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(tz)
    return value


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _hours(shown: ShownDay, locale) -> str:
    """« de 09:00 à 17:00 »; nothing for a day without hours."""
    if not isinstance(shown.start, datetime) or not isinstance(shown.end, datetime):
        return ""
    return gettext(
        "from %(start)s to %(end)s",
        start=format_time(shown.start.time(), "short", locale=locale),
        end=format_time(shown.end.time(), "short", locale=locale),
    )
