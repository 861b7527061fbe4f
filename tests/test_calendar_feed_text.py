"""The feeds write each VEVENT themselves (`feed_ics.py`, ten times faster than the `icalendar`
library): every event must be the bytes `icalendar` writes for the same properties — escaping of
commas, semicolons and backslashes, folding at 75 octets of UTF-8 (never inside a character nor
after the backslash of an escape), local times with their TZID — and read back as it was meant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import icalendar
import pytest
from flask_babel import force_locale, gettext

from trainadmin.models import (
    Location,
    Publication,
    Room,
    Sequence,
    SequenceStatus,
    Slot,
    SlotDate,
    TrainingSession,
    WorkflowStatus,
)
from trainadmin.services.links import feed_ics
from trainadmin.services.links.trainers import trainer_day
from trainadmin.services.notifications.places import full_place

PARIS = ZoneInfo("Europe/Paris")
CHANGED = datetime(2027, 3, 1, 8, 30, 12, 345, tzinfo=UTC)


def reference(event: feed_ics.FeedEvent) -> str:
    """The same event as the `icalendar` library writes it (how the feeds wrote it before)."""
    day = event.day
    summary = f"{day.session.code} — {day.session.label}"
    status, transparency = "CONFIRMED", "OPAQUE"
    if day.cancelled:
        summary = gettext("Cancelled: %(summary)s", summary=summary)
        status, transparency = "CANCELLED", "TRANSPARENT"
    elif day.draft:
        summary = gettext("Draft: %(summary)s", summary=summary)
        status = "TENTATIVE"
    lines = [gettext("Sequence: %(label)s", label=day.sequence.label)]
    if day.sequence.is_prework:
        lines.append(gettext("Pre-work to do before the session."))
    lines.append(gettext("Enrolled participants: %(count)s", count=day.session.enrolled_count))
    stamp = event.changed_at.astimezone(UTC).replace(microsecond=0)
    slot_date = day.slot_date
    return (
        icalendar.Event.new(
            uid=event.uid,
            summary=summary,
            description="\n".join(lines),
            location=full_place(day.slot.location, day.slot.room) or day.sequence.url or None,
            start=datetime.combine(slot_date.day, slot_date.start_time, PARIS),
            end=datetime.combine(slot_date.day, slot_date.end_time, PARIS),
            sequence=event.revision,
            stamp=stamp,
            last_modified=stamp,
            status=status,
            transparency=transparency,
        )
        .to_ical()
        .decode()
    )


def feed_event(label: str, *, place: bool = True, prework=False, url=None, **session) -> feed_ics.FeedEvent:
    """An event of objects never saved: only what the text needs."""
    session = TrainingSession(code="2027-0042", label=label, enrolled_count=12, **session)
    session.publication = session.publication or Publication.PUBLISHED
    session.status = session.status or WorkflowStatus.CONFIRMED
    sequence = Sequence(session=session, label=f"Jour 1 ; {label}", is_prework=prework, url=url)
    sequence.status = SequenceStatus.PLANNED
    location = Location(
        name="Campus Lyon, Part-Dieu", address="12 rue de la Soie", postcode="69100", city="Lyon"
    )
    room = Room(name="Salle Rhône — 2ᵉ étage", location=location)
    slot = Slot(sequence=sequence, location=location if place else None, room=room if place else None)
    slot_date = SlotDate(slot=slot, day=date(2027, 3, 28), start_time=time(9, 30), end_time=time(17, 45))
    return feed_ics.FeedEvent(trainer_day(slot_date), 2, 7, CHANGED, "slot-12-2@trainadmin")


LABELS = [
    "Management",
    "Prise de parole; « oser » s'exprimer, en réunion \\ devant l'équipe — niveau 2 (avancé)",
    "Sécurité électrique : habilitation BR/B2V, recyclage — théorie et pratique sur site éloigné",
    "Émotions 😀 et gestion du stress " * 3,
    *("x" * n + "\\,;é" * 6 for n in range(40, 60)),  # a fold at every place near an escape
]


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize(
    "kind",
    [
        {},
        {"status": WorkflowStatus.CANCELLED},
        {"publication": Publication.DRAFT},
        {"prework": True, "place": False, "url": "https://visio.example.com/r/42?x=1,2;3"},
        {"place": False},
    ],
)
def test_an_event_is_written_as_icalendar_writes_it(app, label, kind):
    with app.test_request_context(), force_locale("fr"):
        event = feed_event(label, **kind)
        written = feed_ics.event_text(event, "Europe/Paris")
        assert written == reference(event)
    [read] = icalendar.Calendar.from_ical(f"BEGIN:VCALENDAR\r\n{written}END:VCALENDAR\r\n").events
    assert label in str(read["SUMMARY"]) and str(read["UID"]) == "slot-12-2@trainadmin"
    assert read.start == datetime(2027, 3, 28, 9, 30, tzinfo=PARIS)
    assert all(len(line.encode()) <= 75 for line in written.split("\r\n"))
