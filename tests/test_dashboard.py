"""« Tableau de bord »: what needs attention now, each count linking to its filtered list."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest

from trainadmin.models import Cost, Publication, RequestStatus, Role, WorkflowStatus

from . import factories


@pytest.fixture
def situation(db):
    """A set of sessions, each needing (or not) attention for a different reason."""
    today = date.today()
    evaluation = factories.make_named(factories.Evaluation)
    cost_type = factories.make_named(factories.CostType)

    def session(label, days_from_now=None, complete=True, **values):
        created = factories.make_session(
            label=label, capacity_min=4, capacity_target=6, capacity_max=10, **values
        )
        if days_from_now is not None:
            factories.make_slot(
                factories.make_sequence(created), days=[today + timedelta(days=days_from_now)]
            )
        if complete:
            created.evaluation = evaluation
            db.session.add(Cost(session=created, cost_type=cost_type, amount=Decimal("500")))
        db.session.flush()
        return created

    sessions = {
        "draft_soon_empty": session("Brouillon bientôt vide", 10),
        "published_soon_full": session("Publiée bientôt pleine", 12, publication=Publication.PUBLISHED),
        "published_later_empty": session("Publiée plus tard", 70, publication=Publication.PUBLISHED),
        "incomplete": session("Sans coûts", 60, complete=False, publication=Publication.PUBLISHED),
        "cancelled_draft": session("Annulée", 5, status=WorkflowStatus.CANCELLED),
    }
    for _ in range(4):
        factories.enrol(sessions["published_soon_full"])
    return sessions


def _cards(page: str) -> dict[str, tuple[int, str]]:
    found = re.findall(
        r'href="([^"]+)" id="card-([a-z_]+)">\s*<div class="card-body">\s*<div class="ta-figure[^"]*">(\d+)',
        page,
    )
    return {key: (int(value), unescape(url)) for url, key, value in found}


def test_counts_and_their_lists(login_as, situation):
    client = login_as(Role.VIEWER)
    cards = _cards(client.get("/admin/").get_data(as_text=True))
    assert {key: value for key, (value, _) in cards.items()} == {
        "drafts": 1,
        "to_complete": 1,
        "soon_under_minimum": 1,
        "soon": 2,
    }
    expected = {
        "drafts": ["Brouillon bientôt vide"],
        "to_complete": ["Sans coûts"],
        "soon_under_minimum": ["Brouillon bientôt vide"],
        "soon": ["Brouillon bientôt vide", "Publiée bientôt pleine"],
    }
    labels = {s.label for s in situation.values()}
    for key, (_, url) in cards.items():
        page = unescape(client.get(url).get_data(as_text=True))
        shown = sorted(label for label in labels if re.search(rf">\s*{re.escape(label)}\s*<", page))
        assert shown == sorted(expected[key]), key


def test_timeline_shows_upcoming_sessions(login_as, situation):
    page = login_as(Role.VIEWER).get("/admin/").get_data(as_text=True)
    timeline = page.split('id="timeline"')[1]
    assert situation["draft_soon_empty"].code in timeline
    assert situation["published_later_empty"].code in timeline
    assert situation["cancelled_draft"].code not in timeline
    assert "ta-timeline-under" in timeline and "ta-timeline-draft" in timeline


def test_empty_dashboard(login_as, db):
    page = login_as(Role.VIEWER).get("/admin/").get_data(as_text=True)
    assert "Aucune session à venir." in page
    assert {value for value, _ in _cards(page).values()} == {0}


def test_dashboard_query_count_does_not_grow(login_as, situation, count_queries):
    client = login_as(Role.VIEWER)
    with count_queries() as few:
        client.get("/admin/")
    for number in range(10):
        factories.make_slot(days=[date.today() + timedelta(days=number + 1)])
    with count_queries() as many:
        client.get("/admin/")
    assert many.count == few.count


def test_staff_see_the_requests_to_process(login_as, db):
    session = factories.make_session()
    factories.make_request(session)
    factories.make_request(session, status=RequestStatus.PENDING_TRAINING)
    factories.enrol(session)
    client = login_as(Role.MANAGER)
    cards = _cards(client.get("/admin/").get_data(as_text=True))
    value, url = cards["requests_to_process"]
    assert value == 2 and url == "/admin/demandes_todo/"
    assert "requests_to_process" not in _cards(login_as(Role.VIEWER).get("/admin/").get_data(as_text=True))
