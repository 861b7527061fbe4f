"""The trainer's page and calendar feed over HTTP, and « Envoyer le lien formateur » in the back
office: what the trainer reads, what a calendar application reads back, and who may issue a link."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa

from trainadmin.clock import local_today
from trainadmin.models import AccessLink, HalfDay, LinkPurpose, OutboxMessage, Publication, Role
from trainadmin.services import links

from . import factories
from .conftest import post_form

URL_RE = re.compile(r"http://127\.0\.0\.1:5000/l/[A-Za-z0-9_-]{32}")


@pytest.fixture
def planned(db):
    """Claire Martin trains « Management » in ten days, at Campus Lyon; two people are enrolled,
    one waits for a decision; another trainer has a slot of their own."""
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    location = factories.make_location(
        name="Campus Lyon", address="12 rue de la Soie", postcode="69100", city="Villeurbanne"
    )
    session = factories.make_session(label="Management", publication=Publication.PUBLISHED)
    sequence = factories.make_sequence(session, label="Les fondamentaux")
    day = local_today() + timedelta(days=10)
    slot = factories.make_slot(sequence, days=[day], location=location, room=location.rooms[0])
    slot.trainers.append(trainer)
    factories.enrol(session, factories.make_collaborator(first_name="Anna", last_name="Arnaud"))
    factories.enrol(session, factories.make_collaborator(first_name="Zoé", last_name="Bernard"))
    factories.make_request(session, factories.make_collaborator(first_name="Paul", last_name="Attente"))
    other_session = factories.make_session(label="Secourisme", publication=Publication.PUBLISHED)
    other_slot = factories.make_slot(factories.make_sequence(other_session), days=[day])
    other_slot.trainers.append(factories.make_trainer())
    db.session.flush()
    _link, token = links.issue_trainer_link(trainer)
    return {
        "trainer": trainer,
        "session": session,
        "slot": slot,
        "day": day,
        "token": token,
        "other": other_slot,
    }


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_the_trainer_reads_their_upcoming_slots(app, planned):
    response = app.test_client().get(f"/l/{planned['token']}")
    assert response.status_code == 200
    text = text_of(response)
    session = planned["session"]
    for expected in (
        "Bonjour Claire Martin",
        f"{session.code} — Management",
        "Séquence : Les fondamentaux",
        "Campus Lyon",
        "12 rue de la Soie, 69100 Villeurbanne",
        planned["slot"].room.name,
        "09:00–17:00",
        "Participants (2)",
        "Anna Arnaud",
        "Zoé Bernard",
        f"Émargement — {planned['day']:%d/%m/%Y}, matin",
        f"Émargement — {planned['day']:%d/%m/%Y}, après-midi",
    ):
        assert expected in text, expected
    assert "Attente" not in text  # not enrolled
    assert "@example.com" not in text  # names only
    assert planned["other"].sequence.session.code not in text  # another trainer's slot
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_page_gives_the_feed_to_subscribe_to(app, planned):
    page = app.test_client().get(f"/l/{planned['token']}").get_data(as_text=True)
    token = planned["token"]
    assert f'href="webcal://localhost/l/{token}/calendar.ics"' in page
    assert f'href="http://localhost/l/{token}/calendar.ics"' in page
    assert "Outlook" in page and "Google Agenda" in page


def test_the_sign_in_half_days_are_the_services(app, planned):
    page = app.test_client().get(f"/l/{planned['token']}").get_data(as_text=True)
    shown = re.findall(r'data-slot-date="(\d+)" data-half-day="(\w+)"', page)
    expected = links.upcoming_half_days(planned["trainer"])
    assert shown == [(str(date_id), half.value) for date_id, halves in expected.items() for half in halves]
    assert expected == {planned["slot"].dates[0].id: (HalfDay.MORNING, HalfDay.AFTERNOON)}


def feed(client, token):
    response = client.get(f"/l/{token}/calendar.ics")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.get_data())


def test_the_feed_reads_back_in_local_time_and_follows_a_move_with_the_same_uid(app, planned, login_as):
    client = app.test_client()
    [event] = feed(client, planned["token"]).events
    day, slot = planned["day"], planned["slot"]
    paris = ZoneInfo("Europe/Paris")
    assert event.start == datetime.combine(day, time(9), paris)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(event["SUMMARY"]) == f"{planned['session'].code} — Management"
    assert "Participants inscrits : 2" in str(event["DESCRIPTION"])

    ops = login_as(Role.OPS_MANAGER)  # people are enrolled: the change needs a reason
    moved = ops.post(
        f"/admin/sessions/slot/save/?id={planned['session'].id}&sequence={slot.sequence_id}&slot={slot.id}",
        data={
            "csrf_token": ops.csrf,
            "location_id": str(slot.location_id),
            "room_id": str(slot.room_id),
            "trainer_ids": str(planned["trainer"].id),
            "dates-0-day": (day + timedelta(days=1)).isoformat(),
            "dates-0-start_time": "13:30",
            "dates-0-end_time": "17:30",
            "dates-0-break_minutes": "0",
            "change_reason": "Salle indisponible",
        },
        headers={"Accept": "application/json"},
    )
    assert moved.get_json()["ok"], moved.get_json()

    [after] = feed(client, planned["token"]).events
    assert after["UID"] == event["UID"]
    assert after.start == datetime.combine(day + timedelta(days=1), time(13, 30), paris)
    assert after["SEQUENCE"] > event["SEQUENCE"]


def test_the_feed_answers_not_modified_to_a_client_that_has_it(app, db, planned, count_queries):
    client = app.test_client()
    first = client.get(f"/l/{planned['token']}/calendar.ics")
    db.session.expire_all()
    with count_queries() as counter:
        again = client.get(
            f"/l/{planned['token']}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
        )
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    # the link, its trainer (the feed's name), the ETag: the events are neither read nor written
    assert counter.count == 3 and not [s for s in counter.statements if "row_number" in s]
    assert client.head(f"/l/{planned['token']}/calendar.ics").status_code == 200


def test_a_replaced_link_is_gone_for_the_page_and_the_feed(app, planned):
    client = app.test_client()
    links.issue_trainer_link(planned["trainer"])  # « Renvoyer le lien »
    page = client.get(f"/l/{planned['token']}")
    assert page.status_code == 410 and 'data-refusal="revoked"' in page.get_data(as_text=True)
    gone = client.get(f"/l/{planned['token']}/calendar.ics")
    assert gone.status_code == 410 and gone.mimetype == "text/plain"
    assert "BEGIN:VCALENDAR" not in gone.get_data(as_text=True)


def test_a_token_of_another_purpose_opens_no_trainer_page(app, planned):
    slot_date = planned["slot"].dates[0]
    _link, countersign = links.issue(
        LinkPurpose.COUNTERSIGN,
        planned["trainer"].email,
        trainer_id=planned["trainer"].id,
        slot_date_id=slot_date.id,
        half_day=HalfDay.MORNING,
    )
    client = app.test_client()
    assert client.get(f"/l/{countersign}/calendar.ics").status_code == 404
    assert "Bonjour Claire Martin" not in client.get(f"/l/{countersign}").get_data(as_text=True)


# --- « Envoyer le lien formateur » ------------------------------------------------------------


def details(client, trainer) -> str:
    return client.get(f"/admin/trainers/details/?id={trainer.id}").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OPS_MANAGER, Role.ADMIN])
def test_staff_issue_a_link_shown_once_that_replaces_the_previous_one(app, db, planned, login_as, role):
    client = login_as(role)
    trainer = planned["trainer"]
    assert "Renvoyer le lien" in details(client, trainer)  # a link was sent (the fixture's)

    response = post_form(client, f"/admin/trainers/link/?id={trainer.id}", {})
    assert response.status_code == 302
    page = details(client, trainer)
    [url] = URL_RE.findall(page)
    assert "Le lien envoyé précédemment ne fonctionne plus." in unescape(page)
    assert URL_RE.findall(details(client, trainer)) == []  # shown once
    path = url.removeprefix("http://127.0.0.1:5000")
    assert app.test_client().get(path).status_code == 200
    assert app.test_client().get(f"/l/{planned['token']}").status_code == 410
    [sent] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "trainer_link").order_by(OutboxMessage.id.desc())
    ).all()[:1]
    assert (
        sent.recipient == planned["trainer"].email.lower() and sent.subject == "Votre planning de formateur"
    )
    assert url in sent.body and url.replace("http://", "webcal://") + "/calendar.ics" in sent.body


def test_the_first_link_is_sent_from_the_trainers_page(app, db, login_as):
    trainer = factories.make_trainer()
    client = login_as(Role.MANAGER)
    assert "Envoyer le lien formateur" in details(client, trainer)
    post_form(client, f"/admin/trainers/link/?id={trainer.id}", {})
    [url] = URL_RE.findall(details(client, trainer))
    link = db.session.query(AccessLink).filter_by(trainer_id=trainer.id).one()
    assert link.purpose == LinkPurpose.TRAINER_PAGE and link.expires_at is None
    assert url.rsplit("/", 1)[1] not in link.token_hash


def test_a_viewer_can_not_issue_a_link(app, db, planned, login_as):
    viewer = login_as(Role.VIEWER)
    assert 'id="trainer-link-button"' not in details(viewer, planned["trainer"])
    response = post_form(viewer, f"/admin/trainers/link/?id={planned['trainer'].id}", {})
    assert response.status_code == 403
    assert app.test_client().get(f"/l/{planned['token']}").status_code == 200  # still the one


def test_bad_ids_and_missing_csrf_are_refused_without_an_error(app, db, planned, login_as):
    manager = login_as(Role.MANAGER)
    for bad in ("", "abc", "999999999", "9" * 30, "-1"):
        assert post_form(manager, f"/admin/trainers/link/?id={bad}", {}).status_code == 404, bad
    no_csrf = manager.post(f"/admin/trainers/link/?id={planned['trainer'].id}", data={})
    assert no_csrf.status_code == 400
    assert manager.get(f"/admin/trainers/link/?id={planned['trainer'].id}").status_code == 405
    assert app.test_client().get(f"/l/{planned['token']}").status_code == 200


def test_a_trainer_deleted_takes_their_links_along(app, db, login_as):
    trainer = factories.make_trainer()
    trainer_id = trainer.id
    _link, token = links.issue_trainer_link(trainer)
    admin = login_as(Role.ADMIN)
    assert post_form(admin, "/admin/trainers/delete/", {"id": str(trainer_id)}).status_code == 302
    assert db.session.query(AccessLink).filter_by(trainer_id=trainer_id).count() == 0
    assert app.test_client().get(f"/l/{token}").status_code == 404


def test_the_trainer_opens_the_sign_in_of_their_half_day_from_their_page(app, db, planned):
    client = app.test_client()
    url = f"/l/{planned['token']}/signin"
    page = unescape(client.get(f"/l/{planned['token']}").get_data(as_text=True))
    assert "Ouvrir l'émargement" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    mine = planned["slot"].dates[0]
    response = client.post(url, data={"csrf_token": csrf, "slot_date": mine.id, "half_day": "am"})
    assert response.status_code == 303
    opened = client.get(response.headers["Location"])
    assert opened.status_code == 200 and "signature_pad" in opened.get_data(as_text=True)  # its page
    query = sa.select(AccessLink).where(AccessLink.purpose == LinkPurpose.COUNTERSIGN)
    link = db.session.scalars(query).one()
    assert (link.trainer_id, link.slot_date_id) == (planned["trainer"].id, mine.id)
    assert link.half_day == HalfDay.MORNING
    theirs = planned["other"].dates[0]
    refused = client.post(url, data={"csrf_token": csrf, "slot_date": theirs.id, "half_day": "am"})
    assert refused.status_code == 409
    assert "pas l'un de vos créneaux" in unescape(refused.get_data(as_text=True))
    for bad in ({"slot_date": "x", "half_day": "am"}, {"slot_date": mine.id, "half_day": "nuit"}, {}):
        assert client.post(url, data={"csrf_token": csrf, **bad}).status_code == 409
