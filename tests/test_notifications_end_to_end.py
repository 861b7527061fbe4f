"""From enrolment to the participant's mailbox: the calendar invitation as a real SMTP server receives
it, parsed back — UID, SEQUENCE, METHOD and each day's hours in Europe/Paris across the change to
summer time — then its update when a date moves and its cancellation with the enrolment."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
from dateutil.rrule import rrulestr

from trainadmin.models import CalendarInvitation, Publication, Role, SessionType
from trainadmin.services.notifications import delivery
from trainadmin.services.planning.slots import SlotInput, save_slot
from trainadmin.transaction import commit

from . import factories
from .conftest import post_form

PARIS = ZoneInfo("Europe/Paris")


def calendar_parts(server, recipient: str) -> list[tuple[str, icalendar.Calendar]]:
    """(Content-Type, parsed calendar) of every calendar part the recipient received, in order."""
    found = []
    for received in server.received:
        if recipient not in received.rcpt_tos:
            continue
        for part in received.message.walk():
            if part.get_content_type() == "text/calendar":
                found.append((part["Content-Type"], icalendar.Calendar.from_ical(part.get_content())))
    return found


def days_in_utc(event) -> list[datetime]:
    """Every occurrence of the event (rule minus exclusions) as UTC instants."""
    start = event.decoded("DTSTART")
    if "RRULE" not in event:
        return [start.astimezone(UTC)]
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    excluded = set()
    for exdate in event.get("EXDATE", []) if isinstance(event.get("EXDATE"), list) else [event.get("EXDATE")]:
        if exdate is not None:
            excluded.update(item.dt for item in exdate.dts)
    return [day.astimezone(UTC) for day in rule if day not in excluded]


def test_invitation_received_updated_and_cancelled(app, db, smtp, login_as, users):
    manager = login_as(Role.MANAGER)
    session = factories.make_session(
        label="Gestion de projet", session_type=SessionType.INTER, publication=Publication.PUBLISHED
    )
    sequence = factories.make_sequence(session, label="Atelier")
    # Friday before the change to summer time (28 March 2027), then Monday after it.
    slot = factories.make_slot(sequence, days=[date(2027, 3, 26), date(2027, 3, 29)])
    person = factories.make_collaborator(first_name="Lina", last_name="Morel")

    post_form(manager, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": str(person.id)})

    invitation = db.session.scalars(sa.select(CalendarInvitation)).one()
    [(content_type, calendar)] = calendar_parts(smtp, person.email)
    assert content_type.startswith("text/calendar") and "method=" in content_type.replace('"', "")
    assert "method=REQUEST" in content_type.replace('"', "")
    assert calendar["METHOD"] == "REQUEST"
    master = next(e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e)
    assert str(master["UID"]) == invitation.uid and int(master["SEQUENCE"]) == invitation.sequence_number
    assert str(master.decoded("DTSTART").tzinfo) in ("Europe/Paris", str(PARIS))
    assert days_in_utc(master) == [
        datetime(2027, 3, 26, 8, tzinfo=UTC),  # 09:00 in Paris, winter time
        datetime(2027, 3, 29, 7, tzinfo=UTC),  # 09:00 in Paris, summer time
    ]

    # The Monday moves to Tuesday: the same UID comes back with a higher SEQUENCE.
    save_slot(
        sequence,
        SlotInput(
            dates=[(date(2027, 3, 26), time(9), time(17), 60), (date(2027, 3, 30), time(9), time(17), 60)]
        ),
        user=users[Role.OPS_MANAGER],
        reason="Salle indisponible le lundi",
        slot=slot,
    )
    db.session.commit()
    delivery.dispatch_tick(commit)
    (_, update) = calendar_parts(smtp, person.email)[-1]
    updated = next(e for e in update.walk("VEVENT") if "RECURRENCE-ID" not in e)
    assert str(updated["UID"]) == invitation.uid
    assert int(updated["SEQUENCE"]) > int(master["SEQUENCE"])
    assert datetime(2027, 3, 30, 7, tzinfo=UTC) in days_in_utc(updated)

    # The enrolment is cancelled: METHOD:CANCEL, same UID, higher SEQUENCE still.
    demande = invitation.request_id
    post_form(manager, f"/admin/demandes/cancel/?id={demande}", {"cancel_reason": "workload"})
    (content_type, cancel) = calendar_parts(smtp, person.email)[-1]
    assert cancel["METHOD"] == "CANCEL" and "CANCEL" in content_type
    event = cancel.walk("VEVENT")[0]
    assert str(event["UID"]) == invitation.uid and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(updated["SEQUENCE"])
    assert sum(1 for r in smtp.received if person.email in r.rcpt_tos) == len(
        calendar_parts(smtp, person.email)
    )
