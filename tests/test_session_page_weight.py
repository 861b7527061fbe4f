"""The session page of a big session stays light (30 sequences × 5 slots × 3 dates, 200
participants): no form per row, a fixed number of SQL statements, under 120 KiB; and a row's
buttons (move, delete) still work without JavaScript, through a small page holding their form."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from html import unescape

from trainadmin.models import Role, Sequence, Slot, SlotDate
from trainadmin.services import planning

from . import factories
from .conftest import count_rows, history_lines

MAX_PAGE_BYTES = 120 * 1024


def planned_session(sequences: int, slots: int, participants: int):
    location = factories.make_location()
    trainer = factories.make_trainer()
    session = factories.make_session(capacity_max=max(participants, 1))
    start = date(2027, 1, 4)
    for s in range(sequences):
        sequence = Sequence(label=f"Module {s + 1}", position=s)
        session.sequences.append(sequence)
        for n in range(slots):
            first = start + timedelta(weeks=s, days=n * 3)
            days = [first + timedelta(days=k) for k in range(3)]
            slot = Slot(location=location, room=location.rooms[0], trainers=[trainer])
            slot.dates = [
                SlotDate(day=d, start_time=time(9), end_time=time(17), break_minutes=60) for d in days
            ]
            sequence.slots.append(slot)
    planning.refresh_session(session)
    for _ in range(participants):
        factories.enrol(session)
    return session


def page(client, session_id: int, counter=None):
    response = client.get(f"/admin/sessions/details/?id={session_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def links(html: str, kind: str) -> list[str]:
    return [unescape(href) for href in re.findall(rf'href="([^"]+)"[^>]*data-planning-action="{kind}"', html)]


def test_the_page_of_a_big_session_is_light(login_as, db, count_queries):
    admin = login_as(Role.ADMIN)
    small = planned_session(1, 1, 1)
    big = planned_session(30, 5, 200)
    db.session.flush()
    page(admin, small.id)  # warm-up: the menu, the translations
    with count_queries() as few:
        small_html = page(admin, small.id)
    with count_queries() as many:
        big_html = page(admin, big.id)

    assert many.count == few.count  # nothing per sequence, slot or participant
    assert len(big_html.encode()) < MAX_PAGE_BYTES, f"{len(big_html.encode()) / 1024:.0f} KiB"
    assert big_html.count("<form") == small_html.count("<form")  # no form per row
    # Every sequence still has its buttons, each a link to its own address.
    assert len(set(links(big_html, "sequence-move"))) == 60
    assert len(set(links(big_html, "sequence-delete"))) == 30


def test_row_buttons_work_without_javascript(admin, db):
    """Locked (someone is enrolled): each button's page sends the reason the button stands for."""
    session = factories.make_session()
    first = factories.make_sequence(session, label="Théorie", position=0)
    second = factories.make_sequence(session, label="Pratique", position=1)
    slot = factories.make_slot(second, days=[date(2027, 5, 15)])
    factories.make_slot(second, days=[date(2027, 5, 16)])
    factories.enrol(session)
    db.session.flush()

    def press(link: str) -> str:
        """Follow the row's link, then send the form of the page it leads to."""
        held = admin.get(link)
        assert held.status_code == 200
        text = held.get_data(as_text=True)
        action = unescape(
            re.search(r'<form method="post" action="([^"]+)" id="planning-action"', text).group(1)
        )
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text))
        answer = admin.post(action, data={name: unescape(value) for name, value in fields.items()})
        assert answer.status_code == 302
        assert f"/admin/sessions/details/?id={session.id}" in answer.location
        return text

    html = page(admin, session.id)
    up = next(link for link in links(html, "sequence-move") if f"sequence={second.id}&offset=-1" in link)
    assert "Monter la séquence « Pratique » ?" in press(up)
    db.session.expire_all()
    assert [s.label for s in session.sequences] == ["Pratique", "Théorie"]

    html = page(admin, session.id, None)
    body = admin.get(f"/admin/sessions/details/?id={session.id}&open={second.id}").get_data(as_text=True)
    delete_slot = next(link for link in links(body, "slot-delete") if f"slot={slot.id}" in link)
    assert "Supprimer ce créneau ?" in press(delete_slot)
    assert count_rows(db, Slot) == 1

    delete_second = next(link for link in links(html, "sequence-delete") if f"sequence={second.id}" in link)
    assert "Cette séquence a 1 créneau(x) : la supprimer avec ses créneaux ?" in press(delete_second)
    db.session.expire_all()
    assert [s.label for s in session.sequences] == ["Théorie"] and count_rows(db, Slot) == 0
    lines = history_lines(session.id)
    assert any("Créneau supprimé" in line for line in lines)
    assert any("Séquence supprimée" in line for line in lines)
    assert first.id in [s.id for s in session.sequences]


def test_a_viewer_gets_no_button_page(viewer, db):
    sequence = factories.make_sequence()
    db.session.flush()
    url = f"/admin/sessions/sequence/delete/?id={sequence.session_id}&sequence={sequence.id}"
    assert viewer.get(url).status_code == 403
    assert count_rows(db, Sequence) == 1


def test_opening_a_sequence_fetches_its_slots_in_a_fixed_number_of_statements(login_as, db, count_queries):
    admin = login_as(Role.ADMIN)
    small = planned_session(1, 1, 1)
    big = planned_session(30, 5, 200)
    db.session.flush()

    def body(session):
        sequence = session.sequences[-1]
        response = admin.get(f"/admin/sessions/sequence/body/?id={session.id}&sequence={sequence.id}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    body(small)
    with count_queries() as few:
        body(small)
    with count_queries() as many:
        html = body(big)
    assert many.count == few.count
    assert html.count('data-planning-action="slot-delete"') == 5
    assert "09/08/2027 09:00–17:00" in unescape(html)  # the last module's last slot, its last day
