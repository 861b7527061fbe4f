"""Every screen passes WCAG AA colour contrast as axe-core measures it in Chromium: text 4.5:1 (3:1 when
large), on the demo's pages with their buttons at rest (no hover, no focus), the planning editor opened
down to « Ajouter une date », each tab of a session, the login and error pages.

axe-core is vendored in the package (`static/vendor/axe-core/`, see its README) and injected by this
test only, from the app's own address: the pages run under their real Content-Security-Policy.
What axe cannot decide (« incomplete »: text over a gradient, a pseudo-element, an overlapping cell)
is measured from the element's colours and its backgrounds (`contrast.js`), so a gradient never
hides a pale button; the edge of every outline button must be seen too (3:1, WCAG 1.4.11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainadmin.demo import seed_demo
from trainadmin.models import (
    ImportRun,
    Publication,
    RequestStatus,
    Role,
    SessionType,
    TrainingRequest,
    TrainingSession,
    User,
)

from . import factories
from .browser_support import open_sequence
from .conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = "/static/vendor/axe-core/axe.min.js"

CHECK_CONTRAST = (Path(__file__).parent / "contrast.js").read_text()


@pytest.fixture
def browser_context_args(browser_context_args):
    """Colours are read once settled: Bootstrap's transitions (a button fading back from its hover
    colour, a collapse opening) are off when the system asks for reduced motion."""
    return {**browser_context_args, "reduced_motion": "reduce"}


def at_rest(page) -> None:
    """Buttons as they are first seen: the pointer away from the page, nothing focused."""
    page.mouse.move(-1, -1)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def contrast_failures(page, where: str) -> list[str]:
    page.wait_for_load_state("load")
    at_rest(page)
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(url=AXE)
    return [
        f"{where}: {node['selector']} « {node['text']} » {node['fg']} on {node['bg']} = {node['ratio']}:1 "
        f"(needs {node['expected']}; {node['font']}; {node['how']})"
        for node in page.evaluate(CHECK_CONTRAST)
    ]


@pytest.fixture
def demo(committed_db):
    seed_demo(admin_password=PASSWORD)
    committed_db.session.commit()
    return committed_db


def _rich_session(db) -> TrainingSession:
    """A session with enrolled collaborators and several sequences (INTER when there is one): every tab
    has content."""
    enrolled = sa.select(TrainingRequest.session_id).where(TrainingRequest.status == RequestStatus.ENROLLED)
    return db.session.scalars(
        sa.select(TrainingSession)
        .where(TrainingSession.id.in_(enrolled), TrainingSession.sequence_count > 1)
        .order_by(TrainingSession.session_type == SessionType.INTER, TrainingSession.id)
    ).all()[-1]


def test_every_page_meets_aa_contrast(demo, page, live_url, browser_login):
    failures: list[str] = []

    page.goto(f"{live_url}/login")
    failures += contrast_failures(page, "login")
    page.fill("input[name=email]", "nobody@example.com")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_be_visible()
    failures += contrast_failures(page, "login refused")

    admin = demo.session.scalar(sa.select(User).where(User.role == Role.ADMIN).limit(1))
    session = _rich_session(demo)
    draft = demo.session.scalar(
        sa.select(TrainingSession).where(TrainingSession.publication == Publication.DRAFT).limit(1)
    )
    demande = demo.session.scalar(
        sa.select(TrainingRequest)
        .where(TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED)
        .limit(1)
    )
    run = demo.session.scalar(sa.select(ImportRun).limit(1))
    sequence_id = session.sequences[0].id
    someone = demande.collaborator.last_name[:3]
    browser_login(admin, PASSWORD)

    failures += contrast_failures(page, "dashboard")
    menu_pages = page.eval_on_selector_all(
        "#admin-navbar-collapse .dropdown-menu a.dropdown-item[href^='/admin/']",
        "links => links.map(link => link.getAttribute('href'))",
    )
    assert len(menu_pages) > 15, menu_pages

    # Tab « Informations générales »: the planning editor with « Ajouter une séquence » and a sequence
    # opened down to a new slot's form, where « Ajouter une date » is.
    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}")
    failures += contrast_failures(page, "session page")
    page.locator("#add-sequence").click()
    expect(page.locator("#new-sequence form")).to_be_visible()
    open_sequence(page, sequence_id)
    page.locator(f"#add-slot-{sequence_id}").click()
    add_date = page.locator(f"#new-slot-{sequence_id} [data-add-date]")
    expect(add_date).to_have_text("Ajouter une date")
    expect(add_date).to_be_visible()
    failures += contrast_failures(page, "planning editor")

    tabs = page.eval_on_selector_all("#session-tabs a[data-tab]", "links => links.map(l => l.dataset.tab)")
    assert {"planning", "participants", "attendance", "costs", "emails"} <= set(tabs), tabs
    for tab in tabs[1:]:
        page.goto(f"{live_url}/admin/sessions/details/?id={session.id}&tab={tab}")
        failures += contrast_failures(page, f"session tab {tab}")

    # « Rechercher » on the « Participants » tab (checked with the tab), then the collaborators found.
    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}&tab=participants")
    page.fill("#collaborator-q", someone)
    page.locator("#collaborator-search button[type=submit]").click()
    expect(page.locator("#enrol-form")).to_be_visible()
    failures += contrast_failures(page, "participants found")

    for where, path in (
        ("draft session", f"/admin/sessions/details/?id={draft.id}"),
        ("session form", f"/admin/sessions/edit/?id={session.id}"),
        ("create a session", "/admin/sessions/new/"),
        ("demande", f"/admin/demandes/details/?id={demande.id}"),
        ("demande history", f"/admin/demandes/details/?id={demande.id}&tab=history"),
        ("demande documents", f"/admin/demandes/details/?id={demande.id}&tab=documents"),
        ("import run", f"/admin/imports/details/?id={run.id}"),
        ("import start", "/admin/imports/start/"),
        ("error page", "/admin/sessions/details/?id=0"),
        ("reports", "/admin/reports/"),
        ("reports, one tab", "/admin/reports/?section=attendance"),
        ("reports refused", "/admin/reports/?preset=custom&start=31/02/2027"),
        *((path, path) for path in menu_pages),
    ):
        page.goto(live_url + path)
        failures += contrast_failures(page, where)

    # « Planning »: the month with its dates drawn, coloured by formation then by status (drafts
    # hatched, cancelled ones shown), a week with dates, the room and trainer tables, « Mon calendrier ».
    page.goto(f"{live_url}/admin/calendar/?cancelled=1")
    expect(page.locator("#calendar .fc-event").first).to_be_visible()
    failures += contrast_failures(page, "planning by formation")
    page.locator('label[for="colour-status"]').click()
    failures += contrast_failures(page, "planning by status")
    busy_day = page.locator("#calendar td.fc-daygrid-day:has(.fc-event)").first.get_attribute("data-date")
    page.goto(f"{live_url}/admin/calendar/?view=timeGridWeek&cancelled=1&date={busy_day}")
    expect(page.locator("#calendar .fc-event").first).to_be_visible()
    failures += contrast_failures(page, "planning, a week")
    for where, path in (
        ("rooms table", "/admin/calendar/resources/?kind=rooms&period=month"),
        ("trainers table", "/admin/calendar/resources/?kind=trainers&period=month"),
        ("my calendar", "/admin/my-calendar/"),
    ):
        page.goto(live_url + path)
        failures += contrast_failures(page, where)

    # The dialogs and the open help: « Annuler l'inscription » (and its page without JavaScript), the
    # import's « Format des fichiers ».
    page.goto(f"{live_url}/admin/demandes/details/?id={demande.id}")
    page.wait_for_load_state()
    page.locator("#cancel-request").click()
    expect(page.locator("#cancel-dialog-confirm")).to_be_visible()
    failures += contrast_failures(page, "cancellation dialog")
    page.goto(f"{live_url}/admin/demandes/cancel/?id={demande.id}")
    failures += contrast_failures(page, "cancellation page")
    page.goto(f"{live_url}/admin/imports/start/")
    page.locator("#import-format summary").click()
    expect(page.locator("#import-columns")).to_be_visible()
    failures += contrast_failures(page, "import file format")

    # A message after saving.
    page.goto(f"{live_url}/admin/organisation/")
    page.locator("#organisation-save").click()
    expect(page.locator(".alert-success")).to_be_visible()
    failures += contrast_failures(page, "organisation saved")

    assert not failures, "Contrast below WCAG AA:\n" + "\n".join(failures)


def test_search_on_the_participants_tab_looks_enabled(committed_db, page, live_url, browser_login):
    """« Rechercher » is a working button and is drawn like one: dark text, a visible edge, not faded."""
    admin = factories.make_user(role=Role.ADMIN)
    session = factories.make_session()
    committed_db.session.commit()
    browser_login(admin)
    page.goto(f"{live_url}/admin/sessions/details/?id={session.id}&tab=participants")
    search = page.locator("#collaborator-search button[type=submit]")
    expect(search).to_have_text("Rechercher")
    expect(search).to_be_enabled()
    at_rest(page)
    look = search.evaluate(
        "button => { const style = getComputedStyle(button); return {opacity: style.opacity, "
        "color: style.color, edge: style.borderTopColor, classes: button.className}; }"
    )
    assert look["opacity"] == "1" and "disabled" not in look["classes"], look
    assert ratio(look["color"], "rgb(255, 255, 255)") >= 4.5, look
    assert ratio(look["edge"], "rgb(255, 255, 255)") >= 3, look


def ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two `rgb(r, g, b)` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
