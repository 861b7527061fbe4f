"""The trainer's link in a real Chromium: a training manager issues it from the trainer's page, the
trainer opens it on a phone, sees their slot and its participants, and subscribes to the calendar
feed the page shows (read back with icalendar, as a calendar application would)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from trainadmin.clock import local_today
from trainadmin.models import Publication, Role

from . import factories

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def test_a_trainer_opens_their_link_on_a_phone_and_subscribes(
    browser, playwright, browser_login, live_url, committed_db, tmp_path
):
    manager = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    location = factories.make_location(
        name="Campus Lyon", address="12 rue de la Soie", postcode="69100", city="Villeurbanne"
    )
    session = factories.make_session(label="Management d'équipe", publication=Publication.PUBLISHED)
    sequence = factories.make_sequence(session, label="Les fondamentaux")
    day = local_today() + timedelta(days=7)
    slot = factories.make_slot(sequence, days=[day], location=location, room=location.rooms[0])
    slot.trainers.append(trainer)
    factories.enrol(session, factories.make_collaborator(first_name="Anna", last_name="Arnaud"))
    committed_db.session.commit()
    code, trainer_id = session.code, trainer.id

    staff = browser_login(manager)
    staff.goto(f"{live_url}/admin/trainers/details/?id={trainer_id}")
    staff.get_by_role("button", name="Envoyer le lien formateur").click()
    flash = staff.locator(".alert-success")
    expect(flash).to_contain_text("Lien formateur de Claire Martin")
    link = re.search(r"http://\S+(/l/[A-Za-z0-9_-]{32})", flash.inner_text()).group(1)
    link = live_url + link  # (the address the e-mail gives, on this test's server)
    expect(staff.get_by_role("button", name="Renvoyer le lien")).to_be_visible()

    phone = browser.new_context(**playwright.devices["Pixel 7"])
    try:
        page = phone.new_page()
        page.goto(link)
        expect(page.get_by_role("heading", name="Bonjour Claire Martin")).to_be_visible()
        card = page.locator(".trainer-slot")
        expect(card).to_have_count(1)
        expect(card).to_contain_text(f"{code} — Management d'équipe")
        expect(card).to_contain_text("Campus Lyon")
        expect(card).to_contain_text("12 rue de la Soie, 69100 Villeurbanne")
        expect(card).to_contain_text("09:00–17:00")
        card.get_by_text("Participants (1)").click()
        expect(card.get_by_text("Anna Arnaud")).to_be_visible()
        expect(card.locator(".trainer-sign-in li")).to_have_count(2)  # « Émargement », morning and afternoon
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            "no sideways scroll"
        )
        page.screenshot(path=str(tmp_path / "trainer-page.png"), full_page=True)

        subscribe = page.get_by_role("link", name="S'abonner à l'agenda")
        expect(subscribe).to_be_visible()
        webcal = subscribe.get_attribute("href")
        assert webcal.startswith("webcal://") and webcal.endswith("/calendar.ics")
        feed = page.request.get("http://" + webcal.removeprefix("webcal://"))
        assert feed.ok and feed.headers["content-type"] == "text/calendar; charset=utf-8"
        [event] = icalendar.Calendar.from_ical(feed.body()).events
        assert str(event["SUMMARY"]) == f"{code} — Management d'équipe"
        assert event.start == datetime.combine(day, time(9), ZoneInfo("Europe/Paris"))
        assert "Campus Lyon" in str(event["LOCATION"])
    finally:
        phone.close()
