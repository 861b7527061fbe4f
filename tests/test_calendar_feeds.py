"""The training staff's calendar feeds, as the services build them and as a calendar application
reads them back (`recurring_ical_events`, no CalDAV server): what each feed holds (a room's, a
place's, a trainer's, a user's own sessions), drafts and cancellations, UIDs shared by the staff
feeds and kept across a slot move, local times across the change to summer time, one query."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import (
    AccessLink,
    LinkPurpose,
    Location,
    Publication,
    SequenceStatus,
    User,
    WorkflowStatus,
)
from trainadmin.services import links, planning
from trainadmin.services.errors import DomainError
from trainadmin.services.links import FeedOf, FeedSubject

from . import factories

TODAY = date(2027, 3, 10)
PARIS = ZoneInfo("Europe/Paris")


def slot_on(days, *, session=None, hours=(time(9), time(17)), trainers=(), co_trainer=None, **kw):
    session = session or factories.make_session(publication=Publication.PUBLISHED)
    slot = factories.make_slot(factories.make_sequence(session), days=days, **kw)
    slot.trainers.extend(trainers)
    if co_trainer is not None:
        slot.co_trainer_id = co_trainer.id
    for slot_date in slot.dates:
        slot_date.start_time, slot_date.end_time = hours
    _db.session.flush()
    return slot


def feed_of(subject: FeedSubject, today=TODAY) -> icalendar.Calendar:
    link, _token = links.new_feed_link(subject, "equipe@example.com")
    return icalendar.Calendar.from_ical(links.staff_feed_text(link, today))


def uids(calendar) -> set[str]:
    return {str(event["UID"]) for event in calendar.events}


def uid(slot, rank=1) -> str:
    return f"slot-{slot.id}-{rank}@trainadmin"


def test_a_room_a_place_and_a_trainer_each_have_their_slots(any_db):
    place, other_place = factories.make_location(name="Campus Lyon"), factories.make_location()
    room = place.rooms[0]
    second_room = factories.make_room(location=place)
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    day = TODAY + timedelta(days=3)
    in_room = slot_on([day], location=place, room=room, trainers=[trainer])
    other_room = slot_on([day], location=place, room=second_room)
    no_room = slot_on([day], location=place, co_trainer=trainer)
    elsewhere = slot_on([day], location=other_place, room=other_place.rooms[0])

    room_feed = feed_of(FeedSubject(FeedOf.ROOM, room.id))
    assert uids(room_feed) == {uid(in_room)}
    assert str(room_feed["X-WR-CALNAME"]) == f"Salle : Campus Lyon — {room.name}"
    place_feed = feed_of(FeedSubject(FeedOf.LOCATION, place.id))
    assert uids(place_feed) == {uid(in_room), uid(other_room), uid(no_room)}
    assert str(place_feed["X-WR-CALNAME"]) == "Lieu : Campus Lyon"
    trainer_feed = feed_of(FeedSubject(FeedOf.TRAINER, trainer.id))
    assert uids(trainer_feed) == {uid(in_room), uid(no_room)}
    assert str(trainer_feed["X-WR-CALNAME"]) == "Formateur : Claire Martin"
    assert uid(elsewhere) not in uids(place_feed) | uids(trainer_feed)


def test_my_sessions_are_those_i_created_and_those_i_teach_under_my_e_mail(any_db):
    me = factories.make_user(email="jeanne.dupont@example.com", full_name="Jeanne Dupont")
    myself_as_trainer = factories.make_trainer(email="Jeanne.Dupont@Example.com")  # case ignored
    someone = factories.make_trainer()
    day = TODAY + timedelta(days=2)
    created = factories.make_session(created_by_id=me.id)
    mine = slot_on([day], session=created, trainers=[someone])
    mine_too = slot_on([day + timedelta(days=1)], session=created)  # another sequence of it
    taught = slot_on([day], trainers=[myself_as_trainer])
    co_taught = slot_on([day], co_trainer=myself_as_trainer)
    not_mine = slot_on([day], trainers=[someone])

    calendar = feed_of(FeedSubject(FeedOf.USER, me.id))

    assert uids(calendar) == {uid(mine), uid(mine_too), uid(taught), uid(co_taught)}
    assert uid(not_mine) not in uids(calendar)
    assert str(calendar["X-WR-CALNAME"]) == "Mes sessions : Jeanne Dupont"


def test_drafts_are_tentative_and_cancelled_ones_stay_as_cancelled(any_db):
    room = factories.make_location().rooms[0]
    day = TODAY + timedelta(days=4)
    confirmed = slot_on([day], location=room.location, room=room)
    draft = slot_on(
        [day + timedelta(days=1)], session=factories.make_session(), location=room.location, room=room
    )
    cancelled = slot_on([day + timedelta(days=2)], location=room.location, room=room)
    cancelled.sequence.session.status = WorkflowStatus.CANCELLED
    cancelled_sequence = slot_on([day + timedelta(days=3)], location=room.location, room=room)
    cancelled_sequence.sequence.status = SequenceStatus.CANCELLED
    _db.session.flush()
    assert draft.sequence.session.publication == Publication.DRAFT

    events = {str(e["UID"]): e for e in feed_of(FeedSubject(FeedOf.ROOM, room.id)).events}

    assert str(events[uid(confirmed)]["STATUS"]) == "CONFIRMED"
    tentative = events[uid(draft)]
    assert str(tentative["STATUS"]) == "TENTATIVE"
    assert str(tentative["SUMMARY"]).startswith("Brouillon : ")
    assert str(tentative["TRANSP"]) == "OPAQUE"  # it books the room
    for slot in (cancelled, cancelled_sequence):
        assert str(events[uid(slot)]["STATUS"]) == "CANCELLED"
        assert str(events[uid(slot)]["SUMMARY"]).startswith("Annulé : ")


def test_one_slot_date_is_the_same_event_in_every_staff_feed_not_in_the_trainers_own(any_db):
    me = factories.make_user()
    trainer = factories.make_trainer()
    place = factories.make_location()
    slot = slot_on(
        [TODAY + timedelta(days=1), TODAY + timedelta(days=2)],
        session=factories.make_session(publication=Publication.PUBLISHED, created_by_id=me.id),
        location=place,
        room=place.rooms[0],
        trainers=[trainer],
    )
    feeds = [
        feed_of(FeedSubject(FeedOf.ROOM, place.rooms[0].id)),
        feed_of(FeedSubject(FeedOf.LOCATION, place.id)),
        feed_of(FeedSubject(FeedOf.TRAINER, trainer.id)),
        feed_of(FeedSubject(FeedOf.USER, me.id)),
    ]
    written = {tuple(event.to_ical() for event in calendar.events) for calendar in feeds}
    assert len(written) == 1  # byte for byte the same events
    assert uids(feeds[0]) == {uid(slot, 1), uid(slot, 2)}
    own = icalendar.Calendar.from_ical(links.feed_text(trainer, links.feed_events(trainer, TODAY), TODAY))
    assert uids(own) == {f"trainer-slot-{slot.id}-1@trainadmin", f"trainer-slot-{slot.id}-2@trainadmin"}


def test_a_moved_slot_is_the_same_event_with_a_higher_sequence(any_db):
    room = factories.make_location().rooms[0]
    slot = slot_on([date(2027, 4, 12), date(2027, 4, 13)], location=room.location, room=room)
    subject = FeedSubject(FeedOf.ROOM, room.id)
    before = {str(e["UID"]): e for e in feed_of(subject).events}

    planning.save_slot(
        slot.sequence,
        planning.SlotInput(
            location_id=room.location_id,
            room_id=room.id,
            dates=[(date(2027, 4, 14), time(10), time(16), 30), (date(2027, 4, 15), time(9), time(12), 0)],
        ),
        None,
        slot=slot,
    )

    after = {str(e["UID"]): e for e in feed_of(subject).events}
    assert set(after) == set(before) == {uid(slot, 1), uid(slot, 2)}
    moved = after[uid(slot, 1)]
    assert moved.start == datetime(2027, 4, 14, 10, tzinfo=PARIS)
    assert after[uid(slot, 2)].start == datetime(2027, 4, 15, 9, tzinfo=PARIS)
    assert moved["SEQUENCE"] > before[uid(slot, 1)]["SEQUENCE"]
    assert moved["DTSTAMP"].dt == moved["LAST-MODIFIED"].dt >= before[uid(slot, 1)]["LAST-MODIFIED"].dt


def test_a_calendar_application_reads_local_times_across_the_change_to_summer_time(any_db):
    """Summer time starts on Sunday 28 March 2027: 09:00 in Paris is 08:00 UTC before, 07:00 after."""
    room = factories.make_location().rooms[0]
    slot_on(
        [date(2027, 3, 26), date(2027, 3, 29)], location=room.location, room=room, hours=(time(9), time(12))
    )
    slot_on([date(2027, 5, 3)], location=room.location, room=room)  # outside the window asked for

    calendar = feed_of(FeedSubject(FeedOf.ROOM, room.id))
    found = recurring_ical_events.of(calendar).between(date(2027, 3, 22), date(2027, 4, 5))

    starts = sorted(event.start for event in found)
    assert [start.astimezone(PARIS).replace(tzinfo=None) for start in starts] == [
        datetime(2027, 3, 26, 9),
        datetime(2027, 3, 29, 9),
    ]
    assert [start.astimezone(ZoneInfo("UTC")).time() for start in starts] == [time(8), time(7)]
    assert all(event.end - event.start == timedelta(hours=3) for event in found)


def test_a_feeds_events_are_one_query(db, count_queries):
    place = factories.make_location()
    me = factories.make_user()
    for n in range(5):
        slot_on(
            [TODAY + timedelta(days=n), TODAY + timedelta(days=n + 10)],
            session=factories.make_session(created_by_id=me.id),
            location=place,
            room=place.rooms[0],
        )
    db.session.expire_all()
    for subject in (FeedSubject(FeedOf.LOCATION, place.id), FeedSubject(FeedOf.USER, me.id)):
        with count_queries() as counter:
            events = links.staff_feed_events(subject, TODAY)
            written = [  # everything the feed writes
                (e.day.place, e.day.room, e.day.address, e.day.session.code, e.day.sequence.label)
                for e in events
            ]
        assert counter.count == 1 and len(written) == 10


def test_a_feed_reaches_a_year_ahead_and_keeps_the_dates_nearest_to_today(any_db, monkeypatch):
    room = factories.make_location().rooms[0]
    slot = slot_on(
        [TODAY + timedelta(days=n) for n in (-91, -90, -2, -1, 1, 2, 30, 365, 366)],
        location=room.location,
        room=room,
    )
    subject = FeedSubject(FeedOf.ROOM, room.id)

    def days(calendar):
        return [(event.start.date() - TODAY).days for event in calendar.events]

    assert days(feed_of(subject)) == [-90, -2, -1, 1, 2, 30, 365]
    assert links.feeds.FUTURE_DAYS == 365 and links.feeds.MAX_EVENTS == 5_000
    monkeypatch.setattr(links.feeds, "MAX_EVENTS", 3)
    capped = feed_of(subject)
    assert days(capped) == [-1, 1, 2]  # the nearest; an upcoming date before a past one as far away
    assert [str(event["UID"]) for event in capped.events] == [uid(slot, 4), uid(slot, 5), uid(slot, 6)]


def test_the_etag_is_read_before_the_events_and_follows_what_the_feed_shows(any_db):
    room = factories.make_location().rooms[0]
    slot = slot_on([TODAY + timedelta(days=3)], location=room.location, room=room)
    link, _token = links.new_feed_link(FeedSubject(FeedOf.ROOM, room.id), "equipe@example.com")

    def etag(today=TODAY):
        return links.staff_feed(link, today).etag

    first = etag()
    assert etag() == first
    assert etag(TODAY + timedelta(days=1)) != first  # the window moved
    session = slot.sequence.session
    session.label = "Nouveau libellé"
    any_db.session.flush()
    relabelled = etag()
    assert relabelled != first
    planning.save_slot(
        slot.sequence,
        planning.SlotInput(
            location_id=room.location_id,
            room_id=room.id,
            dates=[(TODAY + timedelta(days=4), time(10), time(16), 30)],
        ),
        None,
        slot=slot,
    )
    moved = etag()
    assert moved not in (first, relabelled)
    slot_on([TODAY + timedelta(days=5)], location=room.location)  # the place, another room: not this feed
    assert etag() == moved


def test_a_new_link_replaces_the_previous_one_and_revoking_leaves_none(any_db):
    room = factories.make_location().rooms[0]
    subject = FeedSubject(FeedOf.ROOM, room.id)
    first, first_token = links.new_feed_link(subject, "equipe@example.com")
    second, second_token = links.new_feed_link(subject, "equipe@example.com")
    assert first.expires_at is None and second.room_id == room.id and second.location_id is None
    assert links.current_feed_link(subject) == second
    with pytest.raises(links.LinkRefused) as refused:
        links.find(first_token, LinkPurpose.CALENDAR_FEED)
    assert refused.value.refusal == links.Refusal.REVOKED

    place_subject = FeedSubject(FeedOf.LOCATION, room.location_id)
    place_link, _token = links.new_feed_link(place_subject, "equipe@example.com")
    assert links.revoke_feed_link(subject) == 1  # the room's only
    assert links.current_feed_link(subject) is None and links.current_feed_link(place_subject) == place_link
    assert links.revoke_feed_link(subject) == 0
    _db.session.expire_all()  # as the next request reads it
    with pytest.raises(links.LinkRefused):
        links.find(second_token, LinkPurpose.CALENDAR_FEED)


def test_a_feed_link_is_bound_to_exactly_one_subject(any_db):
    room = factories.make_location().rooms[0]
    with pytest.raises(ValueError, match="one of"):
        links.issue(LinkPurpose.CALENDAR_FEED, "x@example.com")
    with pytest.raises(ValueError, match="one of"):
        links.issue(LinkPurpose.CALENDAR_FEED, "x@example.com", room_id=room.id, location_id=room.location_id)
    with pytest.raises(DomainError):
        links.new_feed_link(FeedSubject(FeedOf.ROOM, 999_999_999), "x@example.com")


def test_a_deactivated_users_own_feed_is_gone(any_db):
    me = factories.make_user()
    link, _token = links.new_feed_link(FeedSubject(FeedOf.USER, me.id), me.email)
    me.active = False
    _db.session.flush()
    with pytest.raises(links.LinkRefused) as refused:
        links.staff_feed_text(link, TODAY)
    assert refused.value.refusal == links.Refusal.REVOKED


def test_a_place_deleted_takes_its_and_its_rooms_feeds_along(any_db):
    place = factories.make_location()
    links.new_feed_link(FeedSubject(FeedOf.LOCATION, place.id), "x@example.com")
    links.new_feed_link(FeedSubject(FeedOf.ROOM, place.rooms[0].id), "x@example.com")
    user = factories.make_user()
    links.new_feed_link(FeedSubject(FeedOf.USER, user.id), "x@example.com")
    _db.session.execute(sa.delete(Location).where(Location.id == place.id))
    _db.session.execute(sa.delete(User).where(User.id == user.id))
    _db.session.expire_all()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AccessLink)) == 0
