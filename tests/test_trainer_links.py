"""A trainer's page and calendar feed, as the services build them: which slot dates are shown, in
which order, with which half-days and participants, in a fixed number of queries; the feed's
events, their UIDs across a move, their zone, revisions and cancellations."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from trainadmin.extensions import db as _db
from trainadmin.models import (
    HalfDay,
    LinkPurpose,
    Publication,
    RequestStatus,
    SequenceStatus,
    WorkflowStatus,
)
from trainadmin.services import links, planning

from . import factories

TODAY = date(2027, 3, 10)
FIXTURES = Path(__file__).parent / "fixtures"


def published_session(**kw):
    kw.setdefault("publication", Publication.PUBLISHED)
    return factories.make_session(**kw)


def trainer_slot(trainer, days, *, sequence=None, hours=(time(9), time(17)), co_trainer=False, **kw):
    """A slot of `trainer` (or with `trainer` as co-trainer) on these days, at these hours."""
    sequence = sequence or factories.make_sequence(published_session())
    slot = factories.make_slot(sequence, days=days, **kw)
    if co_trainer:
        slot.co_trainer_id = trainer.id
    else:
        slot.trainers.append(trainer)
    for slot_date in slot.dates:
        slot_date.start_time, slot_date.end_time = hours
    _db.session.flush()
    return slot


def shown(days) -> list[tuple[date, time, str]]:
    return [(d.slot_date.day, d.slot_date.start_time, d.sequence.label) for d in days]


def test_the_page_shows_the_trainers_upcoming_slots_in_time_order(any_db):
    trainer, other = factories.make_trainer(), factories.make_trainer()
    session = published_session(label="Management")
    morning = factories.make_sequence(session, label="Matin")
    trainer_slot(trainer, [TODAY + timedelta(days=2)], sequence=morning, hours=(time(9), time(12)))
    trainer_slot(
        trainer, [TODAY - timedelta(days=1), TODAY], hours=(time(14), time(17))
    )  # yesterday left out
    trainer_slot(
        trainer,
        [TODAY + timedelta(days=2)],
        sequence=factories.make_sequence(published_session(), label="Co-animée"),
        hours=(time(8), time(9)),
        co_trainer=True,
    )
    trainer_slot(other, [TODAY + timedelta(days=1)])  # another trainer's

    days = links.upcoming_days(trainer, today=TODAY)

    assert [(day, start) for day, start, _label in shown(days)] == [
        (TODAY, time(14)),
        (TODAY + timedelta(days=2), time(8)),
        (TODAY + timedelta(days=2), time(9)),
    ]
    assert shown(days)[2][2] == "Matin" and days[2].session.label == "Management"


@pytest.mark.parametrize(
    "change",
    [
        lambda slot: setattr(slot.sequence.session, "publication", Publication.DRAFT),
        lambda slot: setattr(slot.sequence.session, "status", WorkflowStatus.CANCELLED),
        lambda slot: setattr(slot.sequence, "status", SequenceStatus.CANCELLED),
    ],
    ids=["draft session", "cancelled session", "cancelled sequence"],
)
def test_drafts_and_cancelled_sessions_or_sequences_are_not_on_the_page(any_db, change):
    trainer = factories.make_trainer()
    kept = trainer_slot(trainer, [TODAY + timedelta(days=3)])
    left_out = trainer_slot(trainer, [TODAY + timedelta(days=4)])
    change(left_out)
    any_db.session.flush()
    assert [day.slot for day in links.upcoming_days(trainer, today=TODAY)] == [kept]


def test_each_date_covers_the_half_days_of_the_attendance_rules(any_db):
    trainer = factories.make_trainer()
    day = TODAY + timedelta(days=1)
    morning = trainer_slot(trainer, [day], hours=(time(9), time(12)))
    afternoon = trainer_slot(trainer, [day], hours=(time(13, 30), time(17)))
    whole = trainer_slot(trainer, [day], hours=(time(9), time(17)))
    prework = trainer_slot(
        trainer, [day], sequence=factories.make_sequence(published_session(), is_prework=True)
    )

    halves = links.upcoming_half_days(trainer, today=TODAY)

    assert halves == {
        morning.dates[0].id: (HalfDay.MORNING,),
        whole.dates[0].id: (HalfDay.MORNING, HalfDay.AFTERNOON),
        prework.dates[0].id: (),  # nobody signs for pre-work
        afternoon.dates[0].id: (HalfDay.AFTERNOON,),
    }


def test_participants_are_the_enrolled_ones_by_name_and_nothing_else(any_db):
    trainer = factories.make_trainer()
    slot = trainer_slot(trainer, [TODAY + timedelta(days=1)])
    session = slot.sequence.session
    factories.enrol(session, factories.make_collaborator(first_name="Zoé", last_name="Bernard"))
    factories.enrol(session, factories.make_collaborator(first_name="Anna", last_name="Arnaud"))
    factories.make_request(session, factories.make_collaborator(first_name="Paul", last_name="Attente"))
    factories.make_request(
        session, factories.make_collaborator(last_name="Annulé"), status=RequestStatus.CANCELLED
    )

    page = links.trainer_page(trainer, today=TODAY)

    assert page.names(page.days[0]) == ["Anna Arnaud", "Zoé Bernard"]


def test_the_page_is_two_queries_whatever_the_number_of_slots(db, count_queries):
    def counted(trainer):
        db.session.expire_all()
        db.session.refresh(trainer)  # the link's trainer, loaded by the page before
        with count_queries() as counter:
            page = links.trainer_page(trainer, today=TODAY)
            for day in page.days:  # everything the template reads
                (day.place, day.room, day.address, day.session.code, day.sequence.label, page.names(day))
        return counter.count, len(page.days)

    small, big = factories.make_trainer(), factories.make_trainer()
    trainer_slot(small, [TODAY + timedelta(days=1)], location=factories.make_location())
    factories.enrol(factories.make_session())  # someone else's participant
    for n in range(6):
        location = factories.make_location()
        slot = trainer_slot(
            big,
            [TODAY + timedelta(days=n + 1), TODAY + timedelta(days=n + 8)],
            location=location,
            room=location.rooms[0],
        )
        factories.enrol(slot.sequence.session)
    assert counted(small) == (2, 1)
    assert counted(big) == (2, 12)


# --- The calendar feed --------------------------------------------------------------------------


def feed(trainer, today=TODAY) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(links.feed_text(trainer, links.feed_events(trainer, today), today))


def events_by_uid(calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.events}


def test_the_feed_has_the_last_90_days_and_the_next_365_in_local_time(any_db, any_app):
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    location = factories.make_location(
        name="Campus Lyon", address="12 rue de la Soie", postcode="69100", city="Villeurbanne"
    )
    slot = trainer_slot(
        trainer,
        [
            TODAY - timedelta(days=91),
            TODAY - timedelta(days=90),
            date(2027, 7, 1),
            TODAY + timedelta(days=366),
        ],
        hours=(time(9), time(12, 30)),
        location=location,
        room=location.rooms[0],
    )
    session = slot.sequence.session
    factories.enrol(session)

    calendar = feed(trainer)

    assert str(calendar["X-WR-CALNAME"]) == "Planning formateur : Claire Martin"
    assert "METHOD" not in calendar
    [zone] = calendar.timezones
    assert str(zone["TZID"]) == any_app.config["TRAINADMIN_TZ"] == "Europe/Paris"
    events = calendar.events
    assert [e.start.date() for e in events] == [TODAY - timedelta(days=90), date(2027, 7, 1)]
    summer = events[1]
    assert summer.start == datetime(2027, 7, 1, 9, tzinfo=ZoneInfo("Europe/Paris"))
    assert summer.end.astimezone(ZoneInfo("UTC")).time() == time(10, 30)  # 12:30 in summer time
    assert summer["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(summer["SUMMARY"]) == f"{session.code} — {session.label}"
    assert str(summer["LOCATION"]) == (
        f"Campus Lyon — {location.rooms[0].name}, 12 rue de la Soie, 69100 Villeurbanne"
    )
    assert str(summer["DESCRIPTION"]) == f"Séquence : {slot.sequence.label}\nParticipants inscrits : 1"
    assert str(summer["STATUS"]) == "CONFIRMED"
    assert [str(e["UID"]) for e in events] == [
        f"trainer-slot-{slot.id}-2@trainadmin",
        f"trainer-slot-{slot.id}-3@trainadmin",
    ]


def test_a_moved_slot_keeps_its_uid_with_a_higher_sequence(any_db):
    trainer = factories.make_trainer()
    slot = trainer_slot(trainer, [date(2027, 4, 12)])
    [before] = feed(trainer).events
    old_date_id = slot.dates[0].id

    planning.save_slot(
        slot.sequence,
        planning.SlotInput(trainer_ids=[trainer.id], dates=[(date(2027, 4, 14), time(10), time(16), 30)]),
        None,
        slot=slot,
    )
    assert slot.dates[0].id != old_date_id  # the planning made a new date row for the new day

    [after] = feed(trainer).events
    assert after["UID"] == before["UID"]
    assert after.start.replace(tzinfo=None) == datetime(2027, 4, 14, 10)
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["LAST-MODIFIED"].dt >= before["LAST-MODIFIED"].dt
    assert after["DTSTAMP"].dt == after["LAST-MODIFIED"].dt


def test_cancelled_sessions_and_sequences_stay_in_the_feed_as_cancelled_drafts_do_not(any_db):
    trainer = factories.make_trainer()
    day = TODAY + timedelta(days=5)
    confirmed = trainer_slot(trainer, [day])
    cancelled_session = trainer_slot(trainer, [day + timedelta(days=1)])
    cancelled_session.sequence.session.status = WorkflowStatus.CANCELLED
    cancelled_sequence = trainer_slot(trainer, [day + timedelta(days=2)])
    cancelled_sequence.sequence.status = SequenceStatus.CANCELLED
    draft = trainer_slot(trainer, [day + timedelta(days=3)])
    draft.sequence.session.publication = Publication.DRAFT
    any_db.session.flush()

    events = events_by_uid(feed(trainer))

    def status(slot):
        return str(events[f"trainer-slot-{slot.id}-1@trainadmin"]["STATUS"])

    assert status(confirmed) == "CONFIRMED"
    assert status(cancelled_session) == status(cancelled_sequence) == "CANCELLED"
    assert str(events[f"trainer-slot-{cancelled_session.id}-1@trainadmin"]["SUMMARY"]).startswith("Annulé : ")
    assert f"trainer-slot-{draft.id}-1@trainadmin" not in events
    assert len(events) == 3


def test_the_feed_is_one_query_and_shows_only_its_trainers_slots(db, count_queries):
    trainer, other = factories.make_trainer(), factories.make_trainer()
    for n in range(5):
        trainer_slot(trainer, [TODAY + timedelta(days=n), TODAY + timedelta(days=n + 10)])
    theirs = trainer_slot(other, [TODAY + timedelta(days=1)])
    db.session.expire_all()
    db.session.refresh(trainer)
    with count_queries() as counter:
        events = links.feed_events(trainer, TODAY)
        text = links.feed_text(trainer, events, TODAY)
    assert counter.count == 1 and len(events) == 10
    assert f"trainer-slot-{theirs.id}-" not in text


def test_an_empty_feed_is_still_a_calendar(any_db):
    calendar = feed(factories.make_trainer())
    assert calendar.events == [] and len(calendar.timezones) == 1


def test_the_link_has_no_expiry_and_a_new_one_replaces_it(any_db):
    trainer = factories.make_trainer()
    first, first_token = links.issue_trainer_link(trainer)
    second, second_token = links.issue_trainer_link(trainer)
    assert first.expires_at is None and first.recipient == trainer.email
    assert links.current_trainer_link(trainer) == second
    with pytest.raises(links.LinkRefused) as refused:
        links.find(first_token, LinkPurpose.TRAINER_PAGE)
    assert refused.value.refusal == links.Refusal.REVOKED
    assert links.find(second_token, LinkPurpose.TRAINER_PAGE) == second


def test_the_feed_is_written_as_trainers_subscribed_to_it(db):
    """The trainer's feed, byte for byte as subscribed calendars first read it (ids, codes and time
    stamps replaced by placeholders): its UIDs, summaries, places and statuses stay."""
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    place = factories.make_location(name="Campus", address="1 rue", postcode="69000", city="Lyon")
    place.rooms[0].name = "Salle Rhône"

    def sequence(label, **kw):
        session = published_session(label=f"Session {label}", **kw)
        return factories.make_sequence(session, label=f"Jour {label}", is_prework=label == "D")

    days = [TODAY - timedelta(days=91), TODAY, date(2027, 3, 29)]
    past_and_future = trainer_slot(trainer, days, sequence=sequence("A"), location=place, room=place.rooms[0])
    factories.enrol(past_and_future.sequence.session)
    cancelled = trainer_slot(
        trainer,
        [TODAY + timedelta(days=2)],
        sequence=sequence("B"),
        co_trainer=True,
        hours=(time(8), time(12)),
    )
    cancelled.sequence.status = SequenceStatus.CANCELLED
    draft = trainer_slot(trainer, [TODAY + timedelta(days=3)], sequence=sequence("C"))
    draft.sequence.session.publication = Publication.DRAFT
    prework = trainer_slot(
        trainer, [TODAY + timedelta(days=4)], sequence=sequence("D", status=WorkflowStatus.CANCELLED)
    )
    db.session.flush()

    text = links.feed_text(trainer, links.feed_events(trainer, TODAY), TODAY)

    slots = {past_and_future.id: "A", cancelled.id: "B", draft.id: "C", prework.id: "D"}
    text = re.sub(r"trainer-slot-(\d+)-", lambda m: f"trainer-slot-{slots[int(m.group(1))]}-", text)
    text = re.sub(r"(DTSTAMP|LAST-MODIFIED):\S+", r"\1:STAMP", text)
    text = re.sub(r"\d{4}-\d{4} — ", "CODE — ", text)
    assert text.encode() == (FIXTURES / "trainer_feed.ics").read_bytes()  # CRLF line ends included
