"""« Invitation Calendrier »: one invitation per sequence and participant, kept up to date, cancelled.

Each invitation version is an outbox row whose calendar part is parsed back with icalendar, as the
participant's calendar would read it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from dateutil.rrule import rrulestr
from icalendar import Calendar

from trainadmin.models import (
    CalendarInvitation,
    Location,
    OutboxMessage,
    Publication,
    RequestStatus,
    Role,
    Room,
    SequenceStatus,
    Slot,
    SlotChange,
    SlotDate,
)
from trainadmin.services.notifications import calendar
from trainadmin.services.planning import dates as planning
from trainadmin.services.planning import sequences
from trainadmin.services.planning.slots import SlotInput, delete_slot, save_slot
from trainadmin.services.sessions.workflow import set_publication

from . import factories
from .conftest import post_form

PARIS = ZoneInfo("Europe/Paris")


# --- Helpers ---------------------------------------------------------------------------------


def published_session(**kw):
    kw.setdefault("label", "Management d'équipe")
    kw.setdefault("publication", Publication.PUBLISHED)
    kw.setdefault("calendar_invitations", True)
    kw.setdefault("convocation_comment", "Apporter un ordinateur portable.")
    return factories.make_session(**kw)


def place(name="Campus Lyon"):
    location = factories.make_named(
        Location, name=name, address="12 rue de la Soie", postcode="69100", city="Villeurbanne"
    )
    room = factories._add(Room(location=location, name="Salle Rhône", capacity=20))
    return location, room


def slot(sequence, *days, location=None, room=None):
    """A slot whose days are (date, start, end): each day its own hours."""
    new = Slot(sequence=sequence, location=location, room=room)
    for day, start, end in days:
        new.dates.append(SlotDate(day=day, start_time=start, end_time=end, break_minutes=0))
    factories._add(new)
    planning.refresh_session(sequence.session)
    return new


def messages(db, **where):
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == "calendar").order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.session.scalars(query).all()


def invitation_of(db, sequence, request):
    return db.session.scalar(
        sa.select(CalendarInvitation).where(
            CalendarInvitation.sequence_id == sequence.id, CalendarInvitation.request_id == request.id
        )
    )


def parsed(message) -> Calendar:
    return Calendar.from_ical(message.calendar)


def master(cal: Calendar):
    [event] = [e for e in cal.events if "RECURRENCE-ID" not in e]
    return event


def occurrences(cal: Calendar) -> list[tuple[datetime, datetime, str]]:
    """The days a calendar shows: the master's rule, minus EXDATEs, with each override's own hours."""
    main = master(cal)
    duration = main.end - main.start
    if "RRULE" in main:
        starts = list(rrulestr(main["RRULE"].to_ical().decode(), dtstart=main.start))
    else:
        starts = [main.start]
    excluded = {d.dt for exdate in _as_list(main.get("EXDATE")) for d in exdate.dts}
    overrides = {e["RECURRENCE-ID"].dt: e for e in cal.events if "RECURRENCE-ID" in e}
    shown = []
    for start in starts:
        if start in excluded:
            continue
        if start in overrides:
            event = overrides[start]
            shown.append((event.start, event.end, str(event.get("LOCATION", ""))))
        else:
            shown.append((start, start + duration, str(main.get("LOCATION", ""))))
    return shown


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


# --- Invitations at enrolment ------------------------------------------------------------------


def test_one_invitation_per_sequence_pre_work_included_cancelled_left_out(any_db):
    session = published_session()
    location, room = place()
    prework = factories.make_sequence(session, label="Pré-work", is_prework=True, position=0)
    day_one = factories.make_sequence(session, label="Séquence 1", position=1)
    dropped = factories.make_sequence(
        session, label="Séquence 2", position=2, status=SequenceStatus.CANCELLED
    )
    factories.make_sequence(session, label="Pas encore planifiée", position=3)
    slot(prework, (date(2027, 5, 10), time(14), time(15)))
    slot(day_one, (date(2027, 5, 15), time(9), time(17)), location=location, room=room)
    slot(dropped, (date(2027, 6, 27), time(9), time(17)))
    request = factories.enrol(session, factories.make_collaborator(first_name="Ana", last_name="Lopez"))

    assert calendar.invite(request) == 2
    sent = messages(any_db)
    assert [m.sequence_id for m in sent] == [prework.id, day_one.id]
    for message, sequence in zip(sent, (prework, day_one), strict=True):
        invitation = invitation_of(any_db, sequence, request)
        assert message.dedup_key == f"cal:{invitation.uid}:v0"
        assert invitation.uid.endswith("@trainadmin") and invitation.sequence_number == 0
        assert (message.recipient, message.request_id, message.session_id, message.invitation_id) == (
            request.collaborator.email,
            request.id,
            session.id,
            invitation.id,
        )
        assert parsed(message)["METHOD"] == "REQUEST"
        assert str(master(parsed(message))["UID"]) == invitation.uid
    assert "Pré-work" in sent[0].subject and "10/05/2027 14:00–15:00" in sent[0].body
    assert invitation_of(any_db, dropped, request) is None

    # idempotent: asking again writes nothing
    assert calendar.invite(request) == 0
    assert calendar.invite_all(session) == 0
    assert len(messages(any_db)) == 2


def test_request_content(any_db, any_app, monkeypatch):
    monkeypatch.setitem(any_app.config, "MAIL_DEFAULT_SENDER", "Service formation <formation@example.com>")
    session = published_session()
    location, room = place()
    sequence = factories.make_sequence(session, label="Séquence 1")
    slot(sequence, (date(2027, 5, 15), time(9), time(17)), location=location, room=room)
    request = factories.enrol(session, factories.make_collaborator(first_name="Ana", last_name="Lopez"))
    calendar.invite(request)
    [message] = messages(any_db)
    cal = parsed(message)
    event = master(cal)
    assert str(event["ORGANIZER"]) == "mailto:formation@example.com"
    assert event["ORGANIZER"].params["CN"] == "Service formation"
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{request.collaborator.email}"
    assert attendee.params["RSVP"] == "TRUE" and attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["CN"] == "Ana Lopez"
    assert str(event["SUMMARY"]) == "Management d'équipe – Séquence 1"
    assert str(event["LOCATION"]) == "Campus Lyon — Salle Rhône, 12 rue de la Soie, 69100 Villeurbanne"
    description = str(event["DESCRIPTION"])
    assert session.code in description and "Apporter un ordinateur portable." in description
    assert (event.start, event.end) == (local(date(2027, 5, 15), 9), local(date(2027, 5, 15), 17))
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert (event["SEQUENCE"], str(event["STATUS"])) == (0, "CONFIRMED")
    assert "RRULE" not in event and len(cal.events) == 1
    assert message.subject.endswith("Management d'équipe – Séquence 1")
    assert "Apporter un ordinateur portable." in message.body


def test_nothing_for_drafts_cancelled_sessions_or_invitations_off(any_db):
    draft = published_session(publication=Publication.DRAFT)
    off = published_session(calendar_invitations=False)
    requests = {}
    for session in (draft, off):
        sequence = factories.make_sequence(session)
        slot(sequence, (date(2027, 5, 15), time(9), time(17)))
        requests[session.id] = factories.enrol(session)
        assert calendar.invite(requests[session.id]) == 0
    waiting = factories.make_request(session=off, status=RequestStatus.WAITLISTED)
    assert calendar.invite(waiting) == 0
    assert messages(any_db) == []

    # turned on later: the people already enrolled are invited
    off.calendar_invitations = True
    assert calendar.invite_all(off) == 1
    # the draft's participants are invited when it is published
    set_publication([draft], Publication.PUBLISHED, factories.make_user(role=Role.ADMIN))
    assert [m.request_id for m in messages(any_db)] == [requests[off.id].id, requests[draft.id].id]


# --- Several days, time zone -------------------------------------------------------------------


def test_a_sequence_over_several_days_is_one_invitation_with_each_days_hours(any_db):
    session = published_session()
    lyon, lyon_room = place("Campus Lyon")
    paris, paris_room = place("Siège Paris")
    sequence = factories.make_sequence(session, label="Séquence 1")
    slot(
        sequence,
        (date(2027, 5, 18), time(9), time(17)),
        (date(2027, 5, 19), time(9), time(12, 30)),
        (date(2027, 5, 21), time(9), time(17)),
        location=lyon,
        room=lyon_room,
    )
    slot(sequence, (date(2027, 6, 1), time(13, 30), time(17, 30)), location=paris, room=paris_room)
    request = factories.enrol(session)

    assert calendar.invite(request) == 1
    [message] = messages(any_db)
    cal = parsed(message)
    assert {str(e["UID"]) for e in cal.events} == {invitation_of(any_db, sequence, request).uid}
    lyon_text = "Campus Lyon — Salle Rhône, 12 rue de la Soie, 69100 Villeurbanne"
    paris_text = "Siège Paris — Salle Rhône, 12 rue de la Soie, 69100 Villeurbanne"
    assert occurrences(cal) == [
        (local(date(2027, 5, 18), 9), local(date(2027, 5, 18), 17), lyon_text),
        (local(date(2027, 5, 19), 9), local(date(2027, 5, 19), 12, 30), lyon_text),
        (local(date(2027, 5, 21), 9), local(date(2027, 5, 21), 17), lyon_text),
        (local(date(2027, 6, 1), 13, 30), local(date(2027, 6, 1), 17, 30), paris_text),
    ]
    # every component carries the same version, and the body lists the days for mail readers
    assert {e["SEQUENCE"] for e in cal.events} == {0}
    assert "19/05/2027 09:00–12:30" in message.body and "01/06/2027 13:30–17:30" in message.body


def test_discontinuous_days_use_the_largest_step(any_db):
    session = published_session()
    sequence = factories.make_sequence(session)
    slot(sequence, (date(2027, 5, 15), time(9), time(17)), (date(2027, 6, 27), time(9), time(17)))
    calendar.invite(factories.enrol(session))
    cal = parsed(messages(any_db)[0])
    rule = master(cal)["RRULE"]
    assert (rule["FREQ"], rule["INTERVAL"], rule["COUNT"]) == (["DAILY"], [43], [2])
    assert "EXDATE" not in master(cal) and len(cal.events) == 1
    assert [start.date() for start, _, _ in occurrences(cal)] == [date(2027, 5, 15), date(2027, 6, 27)]


def test_daylight_saving_change_gives_the_right_utc_instants(any_db):
    """28 March 2027 is the last Sunday of March: Paris goes from UTC+1 to UTC+2."""
    session = published_session()
    sequence = factories.make_sequence(session)
    slot(
        sequence,
        (date(2027, 3, 26), time(9), time(17)),
        (date(2027, 3, 29), time(9), time(17)),
        (date(2027, 3, 30), time(14), time(18)),
    )
    calendar.invite(factories.enrol(session))
    cal = parsed(messages(any_db)[0])
    in_utc = [(start.astimezone(UTC), end.astimezone(UTC)) for start, end, _ in occurrences(cal)]
    assert in_utc == [
        (datetime(2027, 3, 26, 8, tzinfo=UTC), datetime(2027, 3, 26, 16, tzinfo=UTC)),
        (datetime(2027, 3, 29, 7, tzinfo=UTC), datetime(2027, 3, 29, 15, tzinfo=UTC)),
        (datetime(2027, 3, 30, 12, tzinfo=UTC), datetime(2027, 3, 30, 16, tzinfo=UTC)),
    ]
    # the VTIMEZONE itself (what Outlook reads): one STANDARD and one DAYLIGHT with yearly rules,
    # giving the same offsets as the time zone database
    [zone] = cal.timezones
    assert zone["TZID"] == "Europe/Paris"
    assert sorted(c.name for c in zone.subcomponents) == ["DAYLIGHT", "STANDARD"]
    assert all("RRULE" in c for c in zone.subcomponents)
    rules = zone.to_tz(lookup_tzid=False)
    for moment in (datetime(2027, 3, 27, 23), datetime(2027, 3, 28, 4), datetime(2027, 10, 31, 4)):
        assert rules.utcoffset(moment) == moment.replace(tzinfo=PARIS).utcoffset()
    assert rules.utcoffset(datetime(2027, 3, 29, 9)) == timedelta(hours=2)


# --- Updates -------------------------------------------------------------------------------------


def test_update_same_uid_higher_sequence_only_when_content_changed(any_db):
    session = published_session()
    sequence = factories.make_sequence(session)
    created = slot(sequence, (date(2027, 5, 15), time(9), time(17)))
    request = factories.enrol(session)
    calendar.invite(request)
    invitation = invitation_of(any_db, sequence, request)

    assert calendar.refresh_invitations(session, notify=True) == 0  # nothing really changed

    created.dates[0].end_time = time(16)
    any_db.session.flush()
    assert calendar.refresh_invitations(session, notify=True, sequence_ids=[sequence.id]) == 1
    first, update = messages(any_db)
    event = master(parsed(update))
    assert update.dedup_key == f"cal:{invitation.uid}:v1" and str(event["UID"]) == invitation.uid
    assert event["SEQUENCE"] == 1 and parsed(update)["METHOD"] == "REQUEST"
    assert event.end == local(date(2027, 5, 15), 16)
    assert update.subject.endswith(sequence.label) and update.subject != first.subject

    assert calendar.refresh_invitations(session, notify=True) == 0
    assert calendar.refresh_invitations(session, notify=True, sequence_ids=[]) == 0
    assert invitation.sequence_number == 1 and len(messages(any_db)) == 2


def test_silent_update_stores_the_new_version_without_a_message(any_db):
    session = published_session()
    sequence = factories.make_sequence(session)
    created = slot(sequence, (date(2027, 5, 15), time(9), time(17)))
    request = factories.enrol(session)
    calendar.invite(request)
    invitation = invitation_of(any_db, sequence, request)
    hash_before = invitation.content_hash

    created.dates[0].day = date(2027, 5, 16)
    any_db.session.flush()
    assert calendar.refresh_invitations(session, notify=False) == 0
    assert invitation.sequence_number == 1 and invitation.content_hash != hash_before
    assert len(messages(any_db)) == 1
    # the stored version is the new one: a later notified refresh has nothing to send...
    assert calendar.refresh_invitations(session, notify=True) == 0
    # ...until the next real change, which goes with a SEQUENCE above the silent one
    created.dates[0].start_time = time(10)
    any_db.session.flush()
    assert calendar.refresh_invitations(session, notify=True) == 1
    assert master(parsed(messages(any_db)[-1]))["SEQUENCE"] == 2


def test_slot_change_in_the_planning_queues_the_update(any_db):
    ops = factories.make_user(role=Role.OPS_MANAGER)
    session = published_session()
    location, room = place()
    sequence = factories.make_sequence(session)
    created = slot(sequence, (date(2027, 5, 15), time(9), time(17)))
    request = factories.enrol(session)
    calendar.invite(request)

    moved = SlotInput(
        location_id=location.id, room_id=room.id, dates=[(date(2027, 5, 16), time(9), time(17), 60)]
    )
    save_slot(sequence, moved, ops, reason="Salle changée", slot=created)
    update = messages(any_db)[-1]
    event = master(parsed(update))
    assert event["SEQUENCE"] == 1 and event.start == local(date(2027, 5, 16), 9)
    assert "Campus Lyon" in str(event["LOCATION"])
    assert any_db.session.scalar(sa.select(SlotChange.processed_at)) is not None

    # « Ne pas envoyer de mise à jour de l'invitation calendrier »: stored, not sent
    later = SlotInput(dates=[(date(2027, 5, 17), time(9), time(17), 60)])
    save_slot(sequence, later, ops, reason="Report", slot=created, notify=False)
    assert len(messages(any_db)) == 2
    assert invitation_of(any_db, sequence, request).sequence_number == 2
    assert calendar.process_slot_changes() == 0  # everything is processed

    # a new slot on another sequence without invitation yet: its participants are invited
    second = factories.make_sequence(session, label="Séquence 2", position=1)
    save_slot(second, SlotInput(dates=[(date(2027, 6, 1), time(9), time(12), 0)]), ops, reason="Ajout")
    assert messages(any_db)[-1].sequence_id == second.id
    assert master(parsed(messages(any_db)[-1]))["SEQUENCE"] == 0


def test_slot_changes_grouped_per_sequence(any_db):
    session = published_session()
    first = factories.make_sequence(session, position=0)
    second = factories.make_sequence(session, position=1)
    slot_one = slot(first, (date(2027, 5, 15), time(9), time(17)))
    slot_two = slot(second, (date(2027, 6, 15), time(9), time(17)))
    request = factories.enrol(session)
    calendar.invite(request)
    slot_one.dates[0].end_time = time(16)
    slot_two.dates[0].end_time = time(16)
    for sequence, notify in ((first, False), (first, True), (second, False)):
        any_db.session.add(
            SlotChange(session_id=session.id, sequence_id=sequence.id, changes={}, notify=notify)
        )
    any_db.session.flush()

    assert calendar.process_slot_changes(session_id=session.id) == 1
    assert messages(any_db)[-1].sequence_id == first.id  # one change asked to send: the last state goes
    assert invitation_of(any_db, second, request).sequence_number == 1  # stored silently
    assert any_db.session.scalar(sa.select(sa.func.count()).where(SlotChange.processed_at.is_(None))) == 0


# --- Cancellations -------------------------------------------------------------------------------


def test_cancelled_sequence_sends_cancel_and_coming_back_invites_again(any_db):
    ops = factories.make_user(role=Role.OPS_MANAGER)
    session = published_session()
    sequence = factories.make_sequence(session, label="Séquence 1")
    slot(sequence, (date(2027, 5, 15), time(9), time(17)), (date(2027, 5, 16), time(9), time(12)))
    request = factories.enrol(session)
    calendar.invite(request)
    invitation = invitation_of(any_db, sequence, request)

    sequences.save_sequence(
        session,
        {"label": "Séquence 1", "status": SequenceStatus.CANCELLED},
        ops,
        "Formateur absent",
        sequence,
    )
    cancel = messages(any_db)[-1]
    cal = parsed(cancel)
    event = master(cal)
    assert cal["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == invitation.uid and event["SEQUENCE"] == 1
    assert len(cal.events) == 1 and "RRULE" in event  # the whole series, no override
    assert cancel.dedup_key == f"cal:{invitation.uid}:v1" and cancel.recipient == request.collaborator.email
    assert invitation.cancelled is True
    assert calendar.cancel(sequence=sequence) == 0  # idempotent
    assert calendar.refresh_invitations(session, notify=True) == 0

    sequences.save_sequence(
        session, {"label": "Séquence 1", "status": SequenceStatus.PLANNED}, ops, "Formateur trouvé", sequence
    )
    again = messages(any_db)[-1]
    assert parsed(again)["METHOD"] == "REQUEST" and master(parsed(again))["SEQUENCE"] == 2
    assert str(master(parsed(again))["UID"]) == invitation.uid and invitation.cancelled is False


def test_cancel_an_enrolment_then_the_session(any_db):
    session = published_session()
    first = factories.make_sequence(session, position=0)
    second = factories.make_sequence(session, position=1)
    slot(first, (date(2027, 5, 15), time(9), time(17)))
    slot(second, (date(2027, 6, 15), time(9), time(17)))
    leaving, staying = factories.enrol(session), factories.enrol(session)
    assert calendar.invite_all(session) == 4

    leaving.status = RequestStatus.CANCELLED
    assert calendar.cancel(request=leaving) == 2
    assert calendar.cancel(request=leaving) == 0
    assert {m.recipient for m in messages(any_db)[-2:]} == {leaving.collaborator.email}

    assert calendar.cancel(session=session) == 2
    cancels = messages(any_db)[-2:]
    assert {m.recipient for m in cancels} == {staying.collaborator.email}
    assert all(parsed(m)["METHOD"] == "CANCEL" for m in cancels)
    assert calendar.cancel(session=session) == 0
    with pytest.raises(ValueError):
        calendar.cancel()


def test_all_dates_removed_cancels_with_the_last_dates_sent(any_db):
    ops = factories.make_user(role=Role.OPS_MANAGER)
    session = published_session()
    sequence = factories.make_sequence(session)
    only = slot(sequence, (date(2027, 5, 15), time(9), time(17)))
    request = factories.enrol(session)
    calendar.invite(request)

    delete_slot(only, ops, "Annulé par le lieu")
    cal = parsed(messages(any_db)[-1])
    assert cal["METHOD"] == "CANCEL" and master(cal).start == local(date(2027, 5, 15), 9)
    assert master(cal)["SEQUENCE"] == 1 and invitation_of(any_db, sequence, request).cancelled


def test_deleting_a_sequence_cancels_its_invitations_first(any_db):
    ops = factories.make_user(role=Role.OPS_MANAGER)
    session = published_session()
    sequence = factories.make_sequence(session)
    slot(sequence, (date(2027, 5, 15), time(9), time(17)))
    request = factories.enrol(session)
    calendar.invite(request)
    uid = invitation_of(any_db, sequence, request).uid

    sequences.delete_sequence(sequence, ops, "Doublon")
    any_db.session.flush()
    cancel = any_db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedup_key == f"cal:{uid}:v1"))
    assert parsed(cancel)["METHOD"] == "CANCEL"


# --- Through the admin ---------------------------------------------------------------------------


def test_turning_invitations_on_in_the_session_form_invites_the_enrolled(login_as, db):
    ops = login_as(Role.OPS_MANAGER)
    session = published_session(
        label="Avant", calendar_invitations=False, capacity_min=3, capacity_target=6, capacity_max=10
    )
    sequence = factories.make_sequence(session, label="Séquence 1")
    slot(sequence, (date(2027, 5, 15), time(9), time(17)))
    request = factories.enrol(session)
    assert calendar.invite(request) == 0
    form = {
        "training": str(session.training_id),
        "year": str(session.year),
        "label": "Avant",
        "session_type": "intra",
        "capacity_min": "3",
        "capacity_target": "6",
        "capacity_max": "10",
        "calendar_invitations": "y",
        "expected_version": str(session.version),
        "change_reason": "Invitations demandées",
    }
    response = post_form(ops, f"/admin/sessions/edit/?id={session.id}", form)
    assert response.status_code == 302 and session.calendar_invitations is True
    [message] = messages(db)
    assert (message.recipient, message.sequence_id) == (request.collaborator.email, sequence.id)


def test_moving_a_slot_in_the_planning_editor_queues_the_update(login_as, db):
    ops = login_as(Role.OPS_MANAGER)
    session = published_session()
    sequence = factories.make_sequence(session)
    created = slot(sequence, (date(2027, 5, 15), time(9), time(17)))
    request = factories.enrol(session)
    calendar.invite(request)
    base = f"/admin/sessions/slot/save/?id={session.id}&sequence={sequence.id}&slot={created.id}"
    data = {
        "dates-0-day": "2027-05-18",
        "dates-0-start_time": "09:30",
        "dates-0-end_time": "17:00",
        "dates-0-break_minutes": "60",
        "change_reason": "Report",
    }
    answer = ops.post(base, data={"csrf_token": ops.csrf, **data}, headers={"Accept": "application/json"})
    assert answer.get_json()["ok"]
    update = messages(db)[-1]
    assert master(parsed(update)).start == local(date(2027, 5, 18), 9, 30)
    assert master(parsed(update))["SEQUENCE"] == 1

    data |= {"dates-0-day": "2027-05-19", "no_calendar_update": "y"}
    ops.post(base, data={"csrf_token": ops.csrf, **data}, headers={"Accept": "application/json"})
    assert len(messages(db)) == 2 and invitation_of(db, sequence, request).sequence_number == 2
