"""In Chromium: a manager moves a slot while a collaborator enrols in the session meanwhile. The
refusal says why (the lock after enrolment), in the slot's form, on the same page."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.models import Role, SlotDate

from . import factories
from .browser_support import open_sequence
from .test_browser_planning import make_user, mark_the_page, open_session, same_page

pytestmark = pytest.mark.browser


def test_a_slot_moved_after_the_session_got_locked_shows_why(browser_login, live_url, committed_db):
    manager = make_user(Role.MANAGER)
    slot = factories.make_slot(days=[date(2027, 5, 15)])
    session = slot.sequence.session
    session_id, sequence_id, slot_id, code = session.id, slot.sequence_id, slot.id, session.code
    committed_db.session.commit()
    page = browser_login(manager)

    open_session(page, live_url, session_id)
    mark_the_page(page)
    body = open_sequence(page, sequence_id)
    body.locator(f"#slot-{slot_id}").get_by_role("link", name="Modifier le créneau").click()
    form = page.locator(f"#edit-slot-{slot_id} form")
    expect(form).to_be_visible()

    factories.enrol(committed_db.session.get(type(session), session_id))  # someone enrols meanwhile
    committed_db.session.commit()

    form.locator('[name="dates-0-day"]').fill("2027-05-16")
    form.get_by_role("button", name="Confirmer").click()
    error = form.locator('[data-for="_form"]')
    expect(error).to_be_visible()
    expect(error).to_have_text(
        f"La session {code} a des collaborateurs inscrits : seul un Responsable Opérationnel ou un "
        "Administrateur peut la modifier, ainsi que ses dates et ses créneaux."
    )
    assert same_page(page), "the reason stays on screen: no reload"
    committed_db.session.rollback()
    days = committed_db.session.scalars(sa.select(SlotDate.day).where(SlotDate.slot_id == slot_id)).all()
    assert days == [date(2027, 5, 15)]
