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


# --- « Planification »: the sequences on a timeline, their slots drawn when opened ----------------


def tab(client, session_id: int, name: str, extra: str = "") -> str:
    response = client.get(f"/admin/sessions/details/?id={session_id}&tab={name}{extra}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_planning_tab_of_a_big_session_is_light(login_as, db, count_queries):
    admin = login_as(Role.ADMIN)
    small = planned_session(1, 1, 1)
    big = planned_session(30, 5, 200)
    db.session.flush()
    tab(admin, small.id, "planning")  # warm-up
    with count_queries() as few:
        small_html = tab(admin, small.id, "planning")
    with count_queries() as many:
        big_html = tab(admin, big.id, "planning")

    assert many.count == few.count  # nothing per sequence or slot
    assert len(big_html.encode()) < MAX_PAGE_BYTES, f"{len(big_html.encode()) / 1024:.0f} KiB"
    assert big_html.count("<form") == small_html.count("<form")
    # Every sequence is there, closed (its number of slots), with a link that opens it.
    text = unescape(big_html)
    assert text.count("5 créneau(x)") == 30
    assert 'id="slot-' not in big_html
    opens = re.findall(r'href="([^"]+)"[^>]*data-open-sequence', big_html)
    assert len(set(opens)) == 30
    assert all("tab=planning" in unescape(link) and "open=" in unescape(link) for link in opens)
    # The timeline still shows each sequence with its place.
    timeline = big_html.split('id="sequence-timeline"')[1]
    assert timeline.count("data-timeline-sequence") == 30
    assert f"· {big.sequences[0].slots[0].location.name}" in unescape(timeline)


def test_the_planning_tab_opens_a_sequence_without_javascript(admin, db):
    """The link that opens a sequence draws its slots; each slot's pencil leads to its form in the
    planning editor, and « Ajouter un créneau » to a new slot's form there."""
    session = factories.make_session()
    first = factories.make_sequence(session, label="Théorie", position=0)
    second = factories.make_sequence(session, label="Pratique", position=1)
    factories.make_slot(first, days=[date(2027, 5, 14)])
    slot = factories.make_slot(second, days=[date(2027, 5, 15), date(2027, 5, 16)])
    db.session.flush()

    closed = tab(admin, session.id, "planning")
    assert "15/05/2027 09:00–17:00" not in unescape(closed)
    link = next(
        unescape(href)
        for href in re.findall(r'href="([^"]+)"[^>]*data-open-sequence', closed)
        if f"open={second.id}" in unescape(href)
    )
    opened = unescape(admin.get(link).get_data(as_text=True))
    assert "15/05/2027 09:00–17:00" in opened and "16/05/2027 09:00–17:00" in opened
    pencil = re.search(r'<a [^>]*href="([^"]+)"[^>]*title="Modifier le créneau"', opened).group(1)
    assert f"edit_slot={slot.id}" in pencil and "/admin/slots/" not in pencil
    editor = admin.get(pencil).get_data(as_text=True)
    assert (
        f'action="/admin/sessions/slot/save/?id={session.id}&amp;sequence={second.id}&amp;slot={slot.id}"'
        in editor
    )
    add = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Ajouter un créneau</a>', opened).group(1)
    assert f"new_slot={second.id}" in add
    new_form = admin.get(add).get_data(as_text=True)
    assert f'action="/admin/sessions/slot/save/?id={session.id}&amp;sequence={second.id}"' in new_form


def test_the_planning_tab_fetches_a_sequences_slots_in_a_fixed_number_of_statements(
    login_as, db, count_queries
):
    admin = login_as(Role.ADMIN)
    small = planned_session(1, 1, 1)
    big = planned_session(30, 5, 200)
    db.session.flush()

    def slots(session):
        sequence = session.sequences[-1]
        response = admin.get(f"/admin/sessions/sequence/slots/?id={session.id}&sequence={sequence.id}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    slots(small)
    with count_queries() as few:
        slots(small)
    with count_queries() as many:
        html = slots(big)
    assert many.count == few.count
    assert html.count('title="Modifier le créneau"') == 5 and "<form" not in html
    assert "09/08/2027 09:00–17:00" in unescape(html)
    other = planned_session(1, 1, 0)
    db.session.flush()
    wrong = f"/admin/sessions/sequence/slots/?id={big.id}&sequence={other.sequences[0].id}"
    assert admin.get(wrong).status_code == 404


def test_a_viewer_sees_the_slots_without_pencils(viewer, db):
    slot = factories.make_slot(days=[date(2027, 5, 15)])
    db.session.flush()
    session_id, sequence_id = slot.sequence.session_id, slot.sequence_id
    html = unescape(tab(viewer, session_id, "planning", f"&open={sequence_id}"))
    assert "15/05/2027 09:00–17:00" in html
    assert "Modifier le créneau" not in html and "Ajouter un créneau" not in html


def test_the_publication_pencil_works_without_javascript(admin, db):
    session = factories.make_session()
    db.session.flush()
    html = tab(admin, session.id, "planning")
    pencil = unescape(re.search(r'<a href="([^"]+)"[^>]*id="edit-publication"', html).group(1))
    assert re.search(r'class="collapse mt-2" id="publication-form"', html)  # closed at first
    shown = admin.get(pencil).get_data(as_text=True)
    assert re.search(r'class="collapse show mt-2" id="publication-form"', shown)


# --- « Participants »: 200 rows ------------------------------------------------------------------


def test_the_participants_tab_of_a_big_session_is_light(login_as, db, count_queries):
    admin = login_as(Role.ADMIN)
    small = planned_session(1, 1, 1)
    big = planned_session(30, 5, 200)
    db.session.flush()
    tab(admin, small.id, "participants")  # warm-up
    with count_queries() as few:
        tab(admin, small.id, "participants")
    with count_queries() as many:
        big_html = tab(admin, big.id, "participants")
    assert many.count == few.count
    assert not any(re.search(r"\bFROM slot", s) for s in many.statements), "the planning was loaded"
    assert len(big_html.encode()) < 100 * 1024, f"{len(big_html.encode()) / 1024:.0f} KiB"
    assert big_html.count("data-request=") == 200
