"""The staff's calendar feeds over HTTP: « Nouveau lien » and « Révoquer » on a place's page (the
place and each room), a trainer's page and « Mon calendrier », who may press them, the address
shown once; what a calendar application reads at that address (iCalendar, 304, private headers),
and 410 once the link is replaced or revoked."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import time, timedelta
from html import unescape

import icalendar
import pytest
import recurring_ical_events

from trainadmin.clock import local_today
from trainadmin.extensions import db as _db
from trainadmin.models import AccessLink, HalfDay, LinkPurpose, Publication, Role
from trainadmin.services import links, planning
from trainadmin.services.links import FeedOf, FeedSubject

from . import factories
from .conftest import post_form

FEED_URL = re.compile(r'value="(http://127\.0\.0\.1:5000/l/([A-Za-z0-9_-]{32})/calendar\.ics)"')
STAFF_ROLES = (Role.MANAGER, Role.OPS_MANAGER, Role.ADMIN)


@pytest.fixture
def place(db):
    """Campus Lyon with two rooms; a published session in the first room next week, a draft in the
    second, both taught by Claire Martin."""
    location = factories.make_location(name="Campus Lyon")
    second = factories.make_room(location=location, name="Salle Saône")
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    day = local_today() + timedelta(days=7)
    published = factories.make_session(label="Management", publication=Publication.PUBLISHED)
    slot = factories.make_slot(factories.make_sequence(published), days=[day], location=location)
    slot.room_id = location.rooms[0].id
    slot.trainers.append(trainer)
    draft = factories.make_session(label="Secourisme")
    other = factories.make_slot(factories.make_sequence(draft), days=[day], location=location, room=second)
    other.trainers.append(trainer)
    db.session.flush()
    return {"location": location, "rooms": location.rooms, "trainer": trainer, "slot": slot, "draft": other}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def location_page(client, place) -> str:
    return page(client, f"/admin/locations/details/?id={place['location'].id}")


def read_feed(client, token):
    response = client.get(f"/l/{token}/calendar.ics")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.get_data())


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_places_feed_is_made_shown_once_and_read_by_a_calendar(app, place, login_as, role):
    client = login_as(role)
    before = location_page(client, place)
    assert "Tout le lieu" in unescape(before) and "Aucun lien pour l'instant." in unescape(before)
    assert before.count('class="btn btn-sm btn-primary feed-new"') == 3  # the place and its two rooms

    response = post_form(client, f"/admin/locations/feed/new/?id={place['location'].id}", {})
    assert response.status_code == 302
    shown = location_page(client, place)
    [(url, token)] = FEED_URL.findall(shown)
    assert f'value="webcal://127.0.0.1:5000/l/{token}/calendar.ics"' in shown
    assert f'href="webcal://127.0.0.1:5000/l/{token}/calendar.ics"' in shown
    assert "Copiez cette adresse maintenant" in unescape(shown)
    again = location_page(client, place)
    assert token not in again and FEED_URL.findall(again) == []  # shown once
    assert "Un lien existe, créé le" in unescape(again)

    calendar = read_feed(app.test_client(), token)
    assert str(calendar["X-WR-CALNAME"]) == "Lieu : Campus Lyon"
    summaries = sorted(str(event["SUMMARY"]) for event in calendar.events)
    assert summaries == [
        f"{place['slot'].sequence.session.code} — Management",
        f"Brouillon : {place['draft'].sequence.session.code} — Secourisme",
    ]
    day = place["slot"].dates[0].day
    found = recurring_ical_events.of(calendar).between(day, day + timedelta(days=1))
    assert sorted(event.start.time() for event in found) == [time(9), time(9)]


def test_each_room_has_its_own_feed_from_the_places_page(app, place, users, manager):
    first, second = place["rooms"]
    post_form(manager, f"/admin/locations/feed/new/?id={place['location'].id}&room={second.id}", {})
    shown = location_page(manager, place)
    [(_url, token)] = FEED_URL.findall(shown)
    assert f'id="feed-url-room-{second.id}"' in shown
    calendar = read_feed(app.test_client(), token)
    assert [str(e["UID"]) for e in calendar.events] == [f"slot-{place['draft'].id}-1@trainadmin"]
    assert str(calendar["X-WR-CALNAME"]) == "Salle : Campus Lyon — Salle Saône"
    link = _db.session.query(AccessLink).filter_by(room_id=second.id).one()
    assert (link.purpose, link.location_id, link.expires_at) == (LinkPurpose.CALENDAR_FEED, None, None)
    assert link.recipient == users[Role.MANAGER].email  # who asked for it


def test_a_room_of_another_place_and_bad_ids_are_not_found(app, place, manager):
    elsewhere = factories.make_location().rooms[0]
    location_id = place["location"].id
    assert (
        post_form(manager, f"/admin/locations/feed/new/?id={location_id}&room={elsewhere.id}", {}).status_code
        == 404
    )
    for bad in ("", "abc", "999999999", "9" * 30, "-1"):
        assert post_form(manager, f"/admin/locations/feed/new/?id={bad}", {}).status_code == 404, bad
        assert post_form(manager, f"/admin/trainers/feed/revoke/?id={bad}", {}).status_code == 404, bad
        room = post_form(manager, f"/admin/locations/feed/new/?id={location_id}&room={bad}", {})
        assert room.status_code == 404, bad
    assert manager.post(f"/admin/locations/feed/new/?id={location_id}", data={}).status_code == 400  # no CSRF
    assert manager.get(f"/admin/locations/feed/new/?id={location_id}").status_code == 405
    assert _db.session.query(AccessLink).count() == 0


def test_a_new_link_replaces_the_previous_and_revoke_ends_it_both_410(app, place, ops_manager):
    trainer = place["trainer"]
    details = f"/admin/trainers/details/?id={trainer.id}"
    post_form(ops_manager, f"/admin/trainers/feed/new/?id={trainer.id}", {})
    [(_url, first)] = FEED_URL.findall(page(ops_manager, details))
    reader = app.test_client()
    assert len(read_feed(reader, first).events) == 2  # the draft too, for the staff

    post_form(ops_manager, f"/admin/trainers/feed/new/?id={trainer.id}", {})
    shown = page(ops_manager, details)
    [(_url, second)] = FEED_URL.findall(shown)
    assert "Le lien précédent ne fonctionne plus." in unescape(shown)
    gone = reader.get(f"/l/{first}/calendar.ics")
    assert gone.status_code == 410 and gone.mimetype == "text/plain"
    assert "BEGIN:VCALENDAR" not in gone.get_data(as_text=True)
    assert str(read_feed(reader, second)["X-WR-CALNAME"]) == "Formateur : Claire Martin"

    assert post_form(ops_manager, f"/admin/trainers/feed/revoke/?id={trainer.id}", {}).status_code == 302
    after = unescape(page(ops_manager, details))
    assert "Lien de calendrier révoqué" in after and "Aucun lien pour l'instant." in after
    assert reader.get(f"/l/{second}/calendar.ics").status_code == 410
    post_form(ops_manager, f"/admin/trainers/feed/revoke/?id={trainer.id}", {})
    assert "Il n'y avait aucun lien à révoquer." in unescape(page(ops_manager, details))


def test_the_staff_feed_of_a_trainer_is_not_the_trainers_own_link(app, place, admin):
    trainer = place["trainer"]
    _link, own = links.issue_trainer_link(trainer)
    post_form(admin, f"/admin/trainers/feed/new/?id={trainer.id}", {})
    post_form(admin, f"/admin/trainers/feed/revoke/?id={trainer.id}", {})
    reader = app.test_client()
    assert reader.get(f"/l/{own}/calendar.ics").status_code == 200  # the trainer's own still works
    own_feed = icalendar.Calendar.from_ical(reader.get(f"/l/{own}/calendar.ics").get_data())
    assert [str(e["UID"]) for e in own_feed.events] == [f"trainer-slot-{place['slot'].id}-1@trainadmin"]


def test_a_token_of_another_purpose_opens_no_feed_and_a_feed_token_opens_no_page(app, place):
    trainer = place["trainer"]
    _link, countersign = links.issue(
        LinkPurpose.COUNTERSIGN,
        trainer.email,
        trainer_id=trainer.id,
        slot_date_id=place["slot"].dates[0].id,
        half_day=HalfDay.MORNING,
    )
    _link, feed = links.new_feed_link(FeedSubject(FeedOf.TRAINER, trainer.id), "equipe@example.com")
    client = app.test_client()
    assert client.get(f"/l/{countersign}/calendar.ics").status_code == 404
    assert client.get(f"/l/{feed}").status_code == 404
    assert client.get(f"/l/{feed}/signin").status_code == 404
    assert client.post(f"/l/{feed}/calendar.ics").status_code in (400, 405)  # read-only


def test_the_feed_is_private_answers_not_modified_and_is_rate_limited_with_the_links(app, place):
    _link, token = links.new_feed_link(FeedSubject(FeedOf.LOCATION, place["location"].id), "x@example.com")
    client = app.test_client()
    first = client.get(f"/l/{token}/calendar.ics")
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in first.headers["X-Robots-Tag"]
    again = client.get(f"/l/{token}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    weak = client.get(f"/l/{token}/calendar.ics", headers={"If-None-Match": "W/" + first.headers["ETag"]})
    assert weak.status_code == 304  # as a proxy that compresses the feed passes it on
    assert client.head(f"/l/{token}/calendar.ics").status_code == 200
    limit = app.config["TRAINADMIN_LINK_LIMIT"]
    app.config["TRAINADMIN_LINK_LIMIT"] = "2/minute"
    address = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"  # counted afresh on each run
    try:
        other = app.test_client()
        codes = [
            other.get(f"/l/{token}/calendar.ics", environ_base={"REMOTE_ADDR": address}).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
    finally:
        app.config["TRAINADMIN_LINK_LIMIT"] = limit


def test_reading_a_feed_is_a_fixed_number_of_queries_and_304_reads_no_event(app, db, count_queries):
    location = factories.make_location()
    room = FeedSubject(FeedOf.ROOM, location.rooms[0].id)

    def queries() -> tuple[int, int, int]:
        _link, token = links.new_feed_link(room, "x@example.com")
        client = app.test_client()
        db.session.expire_all()
        with count_queries() as counter:
            response = client.get(f"/l/{token}/calendar.ics")
        assert response.status_code == 200
        events = len(icalendar.Calendar.from_ical(response.get_data()).events)
        db.session.expire_all()
        with count_queries() as unchanged:
            again = client.get(
                f"/l/{token}/calendar.ics", headers={"If-None-Match": response.headers["ETag"]}
            )
        assert again.status_code == 304 and again.get_data() == b""
        assert again.headers["ETag"] == response.headers["ETag"]
        assert not [statement for statement in unchanged.statements if "row_number" in statement]
        return counter.count, unchanged.count, events

    factories.make_slot(days=[local_today()], location=location, room=location.rooms[0])
    small = queries()
    for n in range(8):
        factories.make_slot(
            days=[local_today() + timedelta(days=n), local_today() + timedelta(days=n + 20)],
            location=location,
            room=location.rooms[0],
        )
    big = queries()
    assert (small[2], big[2]) == (1, 17)
    # the link, its room and place (the feed's name), the ETag's query; then one for the events
    assert small[:2] == big[:2] == (5, 4), (small, big)


def test_the_etag_changes_with_the_planning_and_a_304_becomes_the_new_feed(app, db):
    location = factories.make_location()
    slot = factories.make_slot(
        days=[local_today() + timedelta(days=2)], location=location, room=location.rooms[0]
    )
    _link, token = links.new_feed_link(FeedSubject(FeedOf.LOCATION, location.id), "x@example.com")
    client = app.test_client()
    first = client.get(f"/l/{token}/calendar.ics")

    planning.save_slot(
        slot.sequence,
        planning.SlotInput(
            location_id=location.id,
            room_id=location.rooms[0].id,
            dates=[(local_today() + timedelta(days=3), time(10), time(16), 30)],
        ),
        None,
        slot=slot,
    )
    db.session.flush()
    moved = client.get(f"/l/{token}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})

    assert moved.status_code == 200 and moved.headers["ETag"] != first.headers["ETag"]
    [event] = icalendar.Calendar.from_ical(moved.get_data()).events
    assert event.start.date() == local_today() + timedelta(days=3)
    assert (
        client.get(f"/l/{token}/calendar.ics", headers={"If-None-Match": moved.headers["ETag"]}).status_code
        == 304
    )


def test_a_new_address_or_room_name_reaches_the_subscribed_calendar_at_once(app, db, admin):
    """The feed's text names the place, its address and the room: editing them on « Lieux et
    salles » changes the ETag, so the next poll gets the new text rather than 304 — the place's
    feed as the room's (whose title is the room's name)."""
    location = factories.make_location(name="Campus Lyon")
    room = location.rooms[0]
    factories.make_slot(days=[local_today() + timedelta(days=2)], location=location, room=room)
    _link, token = links.new_feed_link(FeedSubject(FeedOf.LOCATION, location.id), "x@example.com")
    client = app.test_client()

    def after(form: dict, etag: str):
        fields = {"name": "Campus Lyon", "rooms-0-id": str(room.id), "rooms-0-name": room.name, **form}
        assert post_form(admin, f"/admin/locations/edit/?id={location.id}", fields).status_code == 302
        response = client.get(f"/l/{token}/calendar.ics", headers={"If-None-Match": etag})
        assert response.status_code == 200, response.status_code
        [event] = icalendar.Calendar.from_ical(response.get_data()).events
        return str(event["LOCATION"]), response.headers["ETag"]

    first = client.get(f"/l/{token}/calendar.ics").headers["ETag"]
    assert client.get(f"/l/{token}/calendar.ics", headers={"If-None-Match": first}).status_code == 304
    where, etag = after({"address": "12 rue de la République", "postcode": "69002", "city": "Lyon"}, first)
    assert "12 rue de la République" in where
    where, _etag = after({"address": "12 rue de la République", "rooms-0-name": "Salle Fourvière"}, etag)
    assert "Salle Fourvière" in where


def test_no_feed_token_in_any_log_line(app, place, caplog):
    _link, token = links.new_feed_link(FeedSubject(FeedOf.LOCATION, place["location"].id), "x@example.com")
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        client.get(f"/l/{token}/calendar.ics")
        links.revoke_feed_link(FeedSubject(FeedOf.LOCATION, place["location"].id))
        client.get(f"/l/{token}/calendar.ics")
    lines = [record.getMessage() + " " + str(vars(record)) for record in caplog.records]
    assert lines and not [line for line in lines if token in line]


# --- Who may ---------------------------------------------------------------------------------------


def write_requests(place) -> list[str]:
    location, trainer = place["location"], place["trainer"]
    return [
        f"/admin/locations/feed/new/?id={location.id}",
        f"/admin/locations/feed/new/?id={location.id}&room={place['rooms'][0].id}",
        f"/admin/locations/feed/revoke/?id={location.id}",
        f"/admin/locations/feed/revoke/?id={location.id}&room={place['rooms'][0].id}",
        f"/admin/trainers/feed/new/?id={trainer.id}",
        f"/admin/trainers/feed/revoke/?id={trainer.id}",
        "/admin/my-calendar/new/",
        "/admin/my-calendar/revoke/",
    ]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_the_staff_may_manage_every_feed(app, place, login_as, role):
    client = login_as(role)
    for url in write_requests(place):
        assert post_form(client, url, {}).status_code == 302, url
    assert 'class="btn btn-sm btn-primary feed-new"' in page(
        client, f"/admin/trainers/details/?id={place['trainer'].id}"
    )


def test_a_viewer_sees_the_feeds_and_changes_none(app, db, place, viewer):
    for url in write_requests(place):
        assert post_form(viewer, url, {}).status_code == 403, url
    assert db.session.query(AccessLink).count() == 0
    for url in (
        f"/admin/locations/details/?id={place['location'].id}",
        f"/admin/trainers/details/?id={place['trainer'].id}",
        "/admin/my-calendar/",
    ):
        shown = page(viewer, url)
        assert "feed-new" not in shown and "feed-revoke" not in shown, url
    mine = unescape(page(viewer, "/admin/my-calendar/"))
    assert "Les lecteurs ne peuvent pas créer d'adresse de calendrier" in mine


def test_my_calendar_is_in_the_user_menu_and_gives_my_sessions(app, db, users, login_as):
    me = users[Role.MANAGER]
    me.full_name = "Jeanne Dupont"
    trainer = factories.make_trainer(email=me.email.upper())
    day = local_today() + timedelta(days=3)
    created = factories.make_session(label="Créée par moi", created_by_id=me.id)
    factories.make_slot(factories.make_sequence(created), days=[day])
    taught = factories.make_session(label="Animée par moi", publication=Publication.PUBLISHED)
    factories.make_slot(factories.make_sequence(taught), days=[day]).trainers.append(trainer)
    factories.make_slot(days=[day])  # someone else's
    db.session.flush()
    client = login_as(Role.MANAGER)
    assert 'href="/admin/my-calendar/"' in page(client, "/admin/")
    intro = text_of(client.get("/admin/my-calendar/"))
    assert "Mon calendrier" in intro and me.email in intro

    assert post_form(client, "/admin/my-calendar/new/", {}).status_code == 302
    [(_url, token)] = FEED_URL.findall(page(client, "/admin/my-calendar/"))
    calendar = read_feed(app.test_client(), token)
    assert str(calendar["X-WR-CALNAME"]) == "Mes sessions : Jeanne Dupont"
    assert sorted(str(e["SUMMARY"]).split(" — ")[1] for e in calendar.events) == [
        "Animée par moi",
        "Créée par moi",
    ]

    me.active = False  # deactivated: their feed is gone
    db.session.flush()
    assert app.test_client().get(f"/l/{token}/calendar.ics").status_code == 410


def test_an_administrator_revokes_a_users_own_feed_from_their_page(app, db, users, login_as, ops_manager):
    """The user makes the link under « Mon calendrier »; the administrator sees on the user's page that
    one exists (never its address) and revokes it: the address answers 410 at once."""
    me = users[Role.MANAGER]
    client = login_as(Role.MANAGER)
    assert post_form(client, "/admin/my-calendar/new/", {}).status_code == 302
    [(_url, token)] = FEED_URL.findall(page(client, "/admin/my-calendar/"))
    reader = app.test_client()
    read_feed(reader, token)

    admin = login_as(Role.ADMIN)
    details = f"/admin/users/details/?id={me.id}"
    shown = unescape(page(admin, details))
    assert "Flux de calendrier de ses sessions" in shown and "Un lien existe, créé le" in shown
    assert token not in shown and not FEED_URL.findall(shown)
    assert post_form(ops_manager, f"/admin/users/feed/revoke/?id={me.id}", {}).status_code == 403
    assert reader.get(f"/l/{token}/calendar.ics").status_code == 200

    assert post_form(admin, f"/admin/users/feed/revoke/?id={me.id}", {}).status_code == 302
    after = unescape(page(admin, details))
    assert "Lien de calendrier révoqué" in after and "Aucun lien pour l'instant." in after
    assert reader.get(f"/l/{token}/calendar.ics").status_code == 410
    assert admin.post("/admin/users/feed/revoke/?id=0", data={"csrf_token": admin.csrf}).status_code == 404
