"""« Planning » in a real Chromium: months navigated, a trainer's dates filtered, a clash signed in
words, a date dragged to another day (moved), a date dragged onto a booked room (refused: it snaps
back and the refusal is shown), and a date of a session with participants moved with a reason —
its history line and the participant's calendar update written."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.models import OutboxMessage, Publication, Role, SlotDate, TrainingRequest
from trainadmin.services.notifications import calendar as invitations
from trainadmin.services.planning import refresh_date_state

from . import factories
from .test_browser_planning import make_user

pytestmark = pytest.mark.browser


def booked_week(db) -> dict:
    location = factories.make_location(name="Campus Lyon")
    room = location.rooms[0]
    claire = factories.make_trainer(first_name="Claire", last_name="Martin")
    paul = factories.make_trainer(first_name="Paul", last_name="Durand")

    def planned(label, day, start, end, trainer, with_room=True, **kw):
        session = factories.make_session(label=label, **kw)
        place = {"location": location, "room": room} if with_room else {}
        slot = factories.make_slot(factories.make_sequence(session, label="Jour 1"), days=[day], **place)
        slot.dates[0].start_time, slot.dates[0].end_time, slot.dates[0].break_minutes = start, end, 0
        slot.trainers = [trainer]
        return session, slot

    enrolled, enrolled_slot = planned(
        "Management",
        date(2027, 5, 10),
        time(9),
        time(17),
        claire,
        publication=Publication.PUBLISHED,
        calendar_invitations=True,
    )
    draft, draft_slot = planned("Prise de parole", date(2027, 5, 10), time(14), time(18), claire)
    wednesday, _ = planned(
        "Excel", date(2027, 5, 12), time(9), time(17), paul, publication=Publication.PUBLISHED
    )
    free, free_slot = planned("Tableur", date(2027, 5, 11), time(9), time(12), paul, with_room=False)
    refresh_date_state()  # hours and trainers were set by hand after the slots were saved
    request = factories.enrol(enrolled)
    invitations.invite(request)
    db.session.commit()
    return {
        "room": room.name,
        "paul": paul.id,
        "enrolled": (enrolled.id, enrolled.code, enrolled_slot.dates[0].id, request.id),
        "slots": {"enrolled": enrolled_slot.id, "free": free_slot.id},
        "draft": (draft.code, draft_slot.dates[0].id),
        "wednesday": wednesday.code,
        "free": (free.code, free_slot.dates[0].id),
    }


def days_of(db, slot_id: int) -> list[date]:
    db.session.rollback()
    return db.session.scalars(sa.select(SlotDate.day).where(SlotDate.slot_id == slot_id)).all()


def event(page, slot_date_id: int):
    return page.locator(f'#calendar [data-slot-date="{slot_date_id}"]')


def day_cell(page, day: str):
    return page.locator(f'#calendar td.fc-daygrid-day[data-date="{day}"]')


def drag(page, source, target) -> None:
    """FullCalendar's own pointer handling: press, move in steps past its threshold, release."""
    target.scroll_into_view_if_needed()
    source.scroll_into_view_if_needed()
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=15)
    page.mouse.up()


def open_calendar(page, live_url, query: str = "date=2027-05-10"):
    page.goto(f"{live_url}/admin/calendar/?{query}")
    expect(page.locator("#calendar[data-loaded]")).to_be_attached()


def test_the_calendar_in_chromium(browser_login, live_url, committed_db):
    ops = make_user(Role.OPS_MANAGER)
    world = booked_week(committed_db)
    session_id, enrolled_code, enrolled_date, request_id = world["enrolled"]
    draft_code, draft_date = world["draft"]
    free_code, free_date = world["free"]
    page = browser_login(ops)

    # Months: May 2027, then June, then back
    open_calendar(page, live_url)
    title = page.locator(".fc-toolbar-title")
    expect(title).to_have_text("mai 2027")
    page.locator(".fc-next-button").click()
    expect(title).to_have_text("juin 2027")
    expect(page.locator("#calendar .fc-event")).to_have_count(0)
    page.locator(".fc-prev-button").click()
    expect(title).to_have_text("mai 2027")
    expect(page.locator("#calendar .fc-event")).to_have_count(4)

    # One trainer's dates
    page.select_option("#filter-trainer", str(world["paul"]))
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(
        re.compile(rf"/admin/calendar/\?date=2027-05-\d+&view=dayGridMonth&.*trainer={world['paul']}&")
    )
    expect(page.locator("#calendar .fc-event")).to_have_count(2)
    expect(page.locator("#calendar")).to_contain_text(world["wednesday"])
    expect(page.locator("#calendar")).to_contain_text(free_code)
    expect(page.locator("#calendar")).not_to_contain_text(enrolled_code)

    # The clash of Monday: in words and in the title, not by colour alone; the draft says so
    open_calendar(page, live_url)
    monday = event(page, enrolled_date)
    expect(monday).to_contain_text("Conflit")
    expect(monday).to_have_attribute(
        "title", re.compile(f"La salle {world['room']} .* est réservée par un autre créneau")
    )
    expect(monday).to_have_attribute("title", re.compile("Réservé ailleurs aux mêmes heures : Claire Martin"))
    expect(event(page, draft_date)).to_contain_text("Brouillon")
    # hatched on a strip of its own, with a dashed border: its text is read on a plain colour
    expect(event(page, draft_date).locator(".ta-draft-hatch")).to_have_count(1)
    expect(event(page, draft_date)).to_have_css("border-top-style", "dashed")
    expect(event(page, draft_date).locator(".ta-event-title")).to_have_css("background-image", "none")
    expect(monday.locator(".ta-draft-hatch")).to_have_count(0)  # published
    expect(event(page, free_date)).not_to_contain_text("Conflit")

    # A date dragged to another day: moved
    drag(page, event(page, free_date), day_cell(page, "2027-05-13"))
    message = page.locator("#calendar-message")
    expect(message).to_have_text("Créneau déplacé au 13/05/2027, 09:00–12:00.")
    expect(day_cell(page, "2027-05-13")).to_contain_text(free_code)
    assert days_of(committed_db, world["slots"]["free"]) == [date(2027, 5, 13)]

    # A date dragged onto a room booked at those hours: refused, back in its place, the reason shown
    drag(page, event(page, draft_date), day_cell(page, "2027-05-12"))
    expect(message).to_contain_text(
        f"est déjà réservée le 12/05/2027, 09:00–17:00, par la session {world['wednesday']}"
    )
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()  # an operations manager may book it anyway, with a reason
    expect(dialog.get_by_label("Réserver la salle malgré tout : motif")).to_be_visible()
    dialog.get_by_role("button", name="Annuler").click()
    expect(day_cell(page, "2027-05-10")).to_contain_text(draft_code)
    expect(day_cell(page, "2027-05-12")).not_to_contain_text(draft_code)

    # A date of a session with participants: the reason and « ne pas envoyer » asked first
    drag(page, event(page, enrolled_date), day_cell(page, "2027-05-14"))
    expect(dialog).to_be_visible()
    expect(
        dialog.get_by_label("Ne pas envoyer de mise à jour de l'invitation calendrier")
    ).not_to_be_checked()
    dialog.get_by_label("Motif de la modification").fill("Formateur malade")
    dialog.get_by_role("button", name="Confirmer").click()
    expect(message).to_contain_text("Créneau déplacé au 14/05/2027, 09:00–17:00.")

    assert days_of(committed_db, world["slots"]["enrolled"]) == [date(2027, 5, 14)]
    updates = committed_db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == "calendar", OutboxMessage.request_id == request_id
        )
    ).all()
    assert len(updates) == 2 and "20270514" in updates[-1].calendar
    assert committed_db.session.get(TrainingRequest, request_id) is not None

    # The session's history says it, and a click on a date opens the session's planning
    page.goto(f"{live_url}/admin/sessions/details/?id={session_id}&tab=history")
    history = page.locator("body")
    expect(history).to_contain_text("10/05/2027 09:00–17:00 → 14/05/2027 09:00–17:00")
    expect(history).to_contain_text("Invitations calendrier : mises à jour")
    expect(history).to_contain_text("Formateur malade")
    open_calendar(page, live_url)
    [moved_date] = committed_db.session.scalars(
        sa.select(SlotDate.id).where(SlotDate.slot_id == world["slots"]["enrolled"])
    ).all()
    event(page, moved_date).click()
    expect(page).to_have_url(re.compile(rf"/admin/sessions/details/\?tab=planning&id={session_id}&open=\d+"))
    expect(page.locator("#session-tabs .nav-link.active")).to_have_text("Planification")


def test_a_viewer_cannot_drag(browser_login, live_url, committed_db):
    viewer = make_user(Role.VIEWER)
    world = booked_week(committed_db)
    free_code, free_date = world["free"]
    page = browser_login(viewer)
    open_calendar(page, live_url)
    expect(page.locator("#calendar-read-only")).to_be_visible()
    drag(page, event(page, free_date), day_cell(page, "2027-05-13"))
    page.wait_for_timeout(500)
    expect(day_cell(page, "2027-05-11")).to_contain_text(free_code)
    expect(page.locator("#calendar-message")).to_be_hidden()


def test_the_first_month_is_asked_for_once_while_the_scripts_load(browser_login, live_url, committed_db):
    viewer = make_user(Role.VIEWER)
    booked_week(committed_db)
    page = browser_login(viewer)
    asked: list[str] = []
    page.on(
        "request",
        lambda request: asked.append(request.url) if "/admin/calendar/events/" in request.url else None,
    )
    open_calendar(page, live_url)
    expect(page.locator("#calendar .fc-event")).to_have_count(4)
    page.wait_for_timeout(500)
    assert len(asked) == 1, asked
    assert "start=2027-04-26" in asked[0] and "end=2027-06-07" in asked[0] and "per_day=4" in asked[0]
    page.locator(".fc-timeGridWeek-button").click()
    expect(page.locator("#calendar .fc-event")).to_have_count(4)  # the week of 10 May: its 4 dates
    assert "per_day=40" in asked[-1]
