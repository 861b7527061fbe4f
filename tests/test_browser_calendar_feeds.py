"""A room's calendar feed in a real Chromium: a training manager makes it from the place's page,
copies its webcal address with « Copier » (the only part that needs JavaScript), and the copied
address is a calendar a calendar application reads."""

from __future__ import annotations

import urllib.request
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from playwright.sync_api import expect

from trainadmin.clock import local_today
from trainadmin.models import Publication, Role

from . import factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def test_a_manager_makes_a_rooms_feed_and_copies_its_address(browser_login, live_url, committed_db):
    manager = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    location = factories.make_location(name="Campus Lyon")
    room = location.rooms[0]
    session = factories.make_session(label="Management", publication=Publication.PUBLISHED)
    day = local_today() + timedelta(days=5)
    factories.make_slot(factories.make_sequence(session), days=[day], location=location, room=room)
    committed_db.session.commit()
    location_id, room_id, code = location.id, room.id, session.code

    page = browser_login(manager)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
    page.goto(f"{live_url}/admin/locations/details/?id={location_id}")
    line = page.locator(f"#feed-room-{room_id}")
    expect(line).to_contain_text("Aucun lien pour l'instant.")
    line.get_by_role("button", name="Nouveau lien").click()

    line = page.locator(f"#feed-room-{room_id}")
    expect(line).to_contain_text("Copiez cette adresse maintenant")
    webcal = line.locator(".feed-webcal").input_value()
    assert webcal.startswith("webcal://127.0.0.1:") and webcal.endswith("/calendar.ics")
    copy = line.locator(f'button[data-copy="feed-webcal-room-{room_id}"]')
    expect(copy).to_have_text("Copier")
    copy.click()
    expect(copy).to_have_text("Copié")
    assert page.evaluate("navigator.clipboard.readText()") == webcal

    with urllib.request.urlopen("http://" + webcal.removeprefix("webcal://")) as answer:  # noqa: S310
        assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
        calendar = icalendar.Calendar.from_ical(answer.read())
    [event] = recurring_ical_events.of(calendar).between(day, day + timedelta(days=1))
    assert str(event["SUMMARY"]) == f"{code} — Management"
    assert event.start == datetime.combine(day, time(9), ZoneInfo("Europe/Paris"))

    page.reload()
    expect(page.locator(f"#feed-room-{room_id}")).to_contain_text("Un lien existe, créé le")
    expect(page.locator(".feed-webcal")).to_have_count(0)  # shown once
