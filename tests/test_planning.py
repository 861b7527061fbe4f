"""« Gérer la planification de la session »: sequences and slots edited in place on the session page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from trainadmin.models import Role, Sequence, SequenceStatus, Slot, SlotChange

from . import factories
from .conftest import count_rows, history_lines, post_form

JSON = {"Accept": "application/json"}


def post_json(client, url, data):
    return client.post(url, data={"csrf_token": client.csrf, **data}, headers=JSON)


def slot_data(*days, start="09:00", end="17:00", pause="60", **extra):
    data = {}
    for index, day in enumerate(days):
        data |= {
            f"dates-{index}-day": day,
            f"dates-{index}-start_time": start,
            f"dates-{index}-end_time": end,
            f"dates-{index}-break_minutes": pause,
        }
    return data | extra


# --- Sequences -------------------------------------------------------------------------------


def test_add_a_sequence_with_confirm(manager, db):
    session = factories.make_session(
        training=factories.make_training(evaluation=factories.make_named(factories.Evaluation))
    )
    mode = factories.make_named(factories.TeachingMode, name="Classe virtuelle")
    page = unescape(manager.get(f"/admin/sessions/details/?id={session.id}").get_data(as_text=True))
    assert "Ajouter une séquence" in page and "Confirmer" in page
    response = post_json(
        manager,
        f"/admin/sessions/sequence/save/?id={session.id}",
        {
            "label": "Jour 1",
            "teaching_mode_id": str(mode.id),
            "url": "https://lms.example.com/j1",
            "status": "planned",
        },
    )
    answer = response.get_json()
    assert answer["ok"] and "Jour 1" in answer["html"]
    [sequence] = session.sequences
    assert (sequence.label, sequence.teaching_mode, sequence.url, sequence.status) == (
        "Jour 1",
        mode,
        "https://lms.example.com/j1",
        SequenceStatus.PLANNED,
    )
    # surveys pre-filled from the formation's evaluation
    assert sequence.hot_survey_evaluation == session.training.evaluation
    assert (sequence.cold_survey_delay_days, sequence.cold_survey_enabled) == (60, False)


def test_sequence_without_javascript_redirects_to_the_session(manager, db):
    session = factories.make_session()
    response = post_form(
        manager, f"/admin/sessions/sequence/save/?id={session.id}", {"label": "Pré-work", "is_prework": "y"}
    )
    assert response.status_code == 302 and f"id={session.id}" in response.headers["Location"]
    assert session.sequences[0].is_prework is True


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "X", "url": "ftp://example.com/file"}, "url"),
        ({"label": "X", "url": "javascript:alert(1)"}, "url"),
        ({"label": "X", "status": "unknown"}, "status"),
        ({"label": "X", "cold_survey_delay_days": "400"}, "cold_survey_delay_days"),
        ({"label": "X", "hot_survey_delay_days": "deux"}, "hot_survey_delay_days"),
        ({"label": "X", "teaching_mode_id": "999999"}, "teaching_mode_id"),
    ],
)
def test_bad_sequence_input(manager, db, data, field):
    session = factories.make_session()
    response = post_json(manager, f"/admin/sessions/sequence/save/?id={session.id}", data)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count_rows(db, Sequence) == 0


def test_reorder_and_delete_sequences(manager, db):
    session = factories.make_session()
    _, second = (
        factories.make_sequence(session, label="A", position=0),
        factories.make_sequence(session, label="B", position=1),
    )
    factories.make_slot(second, days=[date(2027, 4, 5)])
    post_json(
        manager, f"/admin/sessions/sequence/move/?id={session.id}&sequence={second.id}", {"offset": "-1"}
    )
    db.session.expire_all()
    assert [s.label for s in session.sequences] == ["B", "A"]
    page = unescape(manager.get(f"/admin/sessions/details/?id={session.id}").get_data(as_text=True))
    assert "a 1 créneau(x) : la supprimer avec ses créneaux ?" in page  # asks first when it has slots
    post_json(manager, f"/admin/sessions/sequence/delete/?id={session.id}&sequence={second.id}", {})
    assert [s.label for s in session.sequences] == ["A"] and count_rows(db, Slot) == 0
    assert session.start_date is None


# --- Slots ----------------------------------------------------------------------------------


def test_add_a_slot_with_two_dates_and_two_trainers(manager, db):
    sequence = factories.make_sequence(label="Jour 1")
    location = factories.make_location(name="Campus Lyon")
    room = location.rooms[0]
    trainers = [factories.make_trainer(), factories.make_trainer()]
    response = post_json(
        manager,
        f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}",
        slot_data(
            "2027-05-15",
            "2027-05-16",
            location_id=str(location.id),
            room_id=str(room.id),
            trainer_ids=[str(t.id) for t in trainers],
            location_comment="Badge à l'accueil",
            host_name="Léa Martin",
            host_email="lea@example.com",
        ),
    )
    assert response.get_json()["ok"], response.get_json()
    [slot] = sequence.slots
    assert [d.day for d in slot.dates] == [date(2027, 5, 15), date(2027, 5, 16)]
    assert set(slot.trainers) == set(trainers) and slot.room == room and slot.host_email == "lea@example.com"
    session = sequence.session
    assert (session.start_date, session.end_date) == (date(2027, 5, 15), date(2027, 5, 16))
    assert (session.duration_days, session.duration_hours) == (Decimal(2), Decimal(14))


def test_durations_default_and_override(manager, db):
    sequence = factories.make_sequence()
    url = f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}"
    post_json(
        manager,
        url,
        slot_data("2027-05-15", "2027-05-16", "2027-05-17", start="09:00", end="12:30", pause="0"),
    )
    session = sequence.session
    assert (session.duration_days, session.duration_hours) == (Decimal(3), Decimal("10.5"))
    slot = sequence.slots[0]
    post_json(
        manager,
        url + f"&slot={slot.id}",
        slot_data(
            "2027-05-15",
            "2027-05-16",
            "2027-05-17",
            start="09:00",
            end="12:30",
            pause="0",
            duration_days="1,5",
            duration_hours="10",
        ),
    )
    assert (session.duration_days, session.duration_hours) == (Decimal("1.5"), Decimal(10))


def test_prework_moves_dates_but_not_duration(manager, db):
    session = factories.make_session()
    prework = factories.make_sequence(session, label="Pré-work", is_prework=True, position=0)
    main = factories.make_sequence(session, label="Présentiel", position=1)
    factories.make_slot(main, days=[date(2027, 6, 14)])
    post_json(
        manager,
        f"/admin/sessions/slot/save/?id={session.id}&sequence={prework.id}",
        slot_data("2027-06-01", start="10:00", end="11:00", pause="0"),
    )
    assert session.start_date == date(2027, 6, 1) and session.end_date == date(2027, 6, 14)
    assert session.duration_days == Decimal(1) and session.duration_hours == Decimal(7)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (slot_data("2027-05-15", start="17:00", end="09:00"), "dates-0-end_time"),
        (slot_data("2027-05-15", start="09:00", end="10:00", pause="90"), "dates-0-break_minutes"),
        (slot_data("1850-05-15"), "dates-0-day"),
        (slot_data("15/05/2027"), "dates-0-day"),
        (slot_data("2027-05-15", start="25:00"), "dates-0-start_time"),
        (slot_data(), "dates"),
        (slot_data("2027-05-15", duration_days="-1"), "duration_days"),
        (slot_data("2027-05-15", duration_hours="beaucoup"), "duration_hours"),
        (slot_data("2027-05-15", host_email="pas-une-adresse"), "host_email"),
        (slot_data("2027-05-15", "2027-05-15"), "dates-1-day"),
    ],
)
def test_bad_slot_input(manager, db, data, field):
    sequence = factories.make_sequence()
    response = post_json(
        manager, f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}", data
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["errors"]
    assert count_rows(db, Slot) == 0


def test_room_from_another_location_is_refused(manager, db):
    sequence = factories.make_sequence()
    lyon, paris = factories.make_location(), factories.make_location()
    response = post_json(
        manager,
        f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}",
        slot_data("2027-05-15", location_id=str(lyon.id), room_id=str(paris.rooms[0].id)),
    )
    assert response.get_json()["errors"]["room"] == "Cette salle n'appartient pas au lieu choisi."


# --- Conflicts ------------------------------------------------------------------------------


def test_room_clash_blocks_unless_overridden_by_ops(login_as, db):
    manager, ops = login_as(Role.MANAGER), login_as(Role.OPS_MANAGER)
    location = factories.make_location()
    room = location.rooms[0]
    other = factories.make_slot(days=[date(2027, 5, 15)], location=location, room=room)
    sequence = factories.make_sequence()
    url = f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}"
    data = slot_data(
        "2027-05-15",
        start="14:00",
        end="18:00",
        pause="0",
        location_id=str(location.id),
        room_id=str(room.id),
    )
    refused = post_json(manager, url, data).get_json()
    assert (
        other.sequence.session.code in refused["errors"]["room"] and "15/05/2027" in refused["errors"]["room"]
    )
    assert count_rows(db, Slot) == 1
    refused = post_json(ops, url, data).get_json()
    assert "motif" in refused["errors"]["room"]
    answer = post_json(ops, url, {**data, "override_reason": "Salle partagée, accord du site"}).get_json()
    assert answer["ok"] and any(other.sequence.session.code in w for w in answer["warnings"])
    assert count_rows(db, Slot) == 2


def test_trainer_clash_warns_and_saves(manager, db):
    trainer = factories.make_trainer()
    other = factories.make_slot(days=[date(2027, 5, 15)])
    other.trainers.append(trainer)
    db.session.flush()
    sequence = factories.make_sequence()
    answer = post_json(
        manager,
        f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}",
        slot_data("2027-05-15", trainer_ids=[str(trainer.id)]),
    ).get_json()
    assert answer["ok"] and any(other.sequence.session.code in w for w in answer["warnings"])


def test_small_room_warns(manager, db):
    session = factories.make_session(capacity_min=2, capacity_target=10, capacity_max=20)
    sequence = factories.make_sequence(session)
    location = factories.make_location()
    room = factories.make_room(location=location, capacity=8)
    answer = post_json(
        manager,
        f"/admin/sessions/slot/save/?id={session.id}&sequence={sequence.id}",
        slot_data("2027-05-15", location_id=str(location.id), room_id=str(room.id)),
    ).get_json()
    assert answer["ok"] and any("20" in w and "8" in w for w in answer["warnings"])


# --- Lock and calendar change events ----------------------------------------------------------


def test_locked_planning(login_as, db):
    manager, ops = login_as(Role.MANAGER), login_as(Role.OPS_MANAGER)
    slot = factories.make_slot(days=[date(2027, 5, 15)])
    sequence = slot.sequence
    session = sequence.session
    factories.enrol(session)
    base = f"/admin/sessions/slot/save/?id={session.id}&sequence={sequence.id}&slot={slot.id}"
    assert post_json(manager, base, slot_data("2027-05-16")).status_code == 403
    assert (
        post_json(
            manager, f"/admin/sessions/sequence/save/?id={session.id}", {"label": "Nouvelle"}
        ).status_code
        == 403
    )
    assert (
        post_json(
            manager, f"/admin/sessions/sequence/delete/?id={session.id}&sequence={sequence.id}", {}
        ).status_code
        == 403
    )
    page = unescape(manager.get(f"/admin/sessions/details/?id={session.id}").get_data(as_text=True))
    assert "Ajouter une séquence" not in page and "Ajouter un créneau" not in page

    page = unescape(
        ops.get(f"/admin/sessions/slot/form/?id={session.id}&sequence={sequence.id}&slot={slot.id}").get_data(
            as_text=True
        )
    )
    assert "Ne pas envoyer de mise à jour de l'invitation calendrier" in page
    refused = post_json(ops, base, slot_data("2027-05-16")).get_json()
    assert "change_reason" in refused["errors"]
    answer = post_json(
        ops, base, slot_data("2027-05-16", change_reason="Report demandé par le client")
    ).get_json()
    assert answer["ok"]
    change = db.session.scalar(sa.select(SlotChange))
    assert change.notify is True and change.sequence_id == sequence.id
    assert change.changes["dates"] == [["15/05/2027 09:00–17:00"], ["16/05/2027 09:00–17:00"]]
    post_json(ops, base, slot_data("2027-05-17", change_reason="Encore", no_calendar_update="y"))
    silent = db.session.scalars(sa.select(SlotChange).order_by(SlotChange.id.desc())).first()
    assert silent.notify is False
    silent_line, loud_line = history_lines(session.id)[:2]
    assert loud_line == (
        f"Modification — Créneau de la séquence « {sequence.label} » : Dates : 15/05/2027 09:00–17:00 → "
        "16/05/2027 09:00–17:00 ; Invitations calendrier : mises à jour [Report demandé par le client]"
    )
    assert silent_line == (
        f"Modification — Créneau de la séquence « {sequence.label} » : Dates : 16/05/2027 09:00–17:00 → "
        "17/05/2027 09:00–17:00 ; Invitations calendrier : non mises à jour (à la demande) [Encore]"
    )


def test_no_change_event_without_participants(manager, db):
    slot = factories.make_slot(days=[date(2027, 5, 15)])
    post_json(
        manager,
        f"/admin/sessions/slot/save/?id={slot.sequence.session_id}&sequence={slot.sequence_id}&slot={slot.id}",
        slot_data("2027-05-16"),
    )
    assert count_rows(db, SlotChange) == 0
    assert slot.dates[0].day == date(2027, 5, 16)


def test_save_does_not_grow_in_queries_with_the_planning(manager, db, count_queries):
    def session_with(sequences: int, slots: int):
        session = factories.make_session()
        for s in range(sequences):
            sequence = factories.make_sequence(session, label=f"S{s}", position=s)
            for n in range(slots):
                factories.make_slot(
                    sequence, days=[date(2027, 3, 1 + n), date(2027, 4, 1 + n), date(2027, 5, 1 + n)]
                )
        return session

    small, large = session_with(1, 1), session_with(10, 5)
    counts = []
    for session in (small, large):
        sequence = session.sequences[0]
        url = f"/admin/sessions/slot/save/?id={session.id}&sequence={sequence.id}"
        with count_queries() as counter:
            assert post_json(manager, url, slot_data("2027-09-01", "2027-09-02")).get_json()["ok"]
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_complex_session_timeline_on_the_planning_tab(manager, db):
    session = factories.make_session()
    lyon, paris = factories.make_location(name="Campus Lyon"), factories.make_location(name="Siège Paris")
    first = factories.make_sequence(session, label="Séquence 1", position=0)
    second = factories.make_sequence(session, label="Séquence 2", position=1)
    factories.make_slot(first, days=[date(2027, 5, 15)], location=lyon)
    factories.make_slot(second, days=[date(2027, 6, 27)], location=paris)
    page = unescape(
        manager.get(f"/admin/sessions/details/?id={session.id}&tab=planning").get_data(as_text=True)
    )
    timeline = page.split('id="sequence-timeline"')[1].split('id="sequence-timeline"')[0]
    assert "15/05/2027" in timeline and "27/06/2027" in timeline
    assert "Campus Lyon" in timeline and "Siège Paris" in timeline
    rows = timeline.split("ta-timeline-head")[1]
    bars = [float(x) for x in re.findall(r"left: ([\d.]+)%", rows)]
    assert bars[0] == 0 and bars[-1] > 90  # the second sequence sits at the far end: the gap shows
    assert "2 jour(s), 14 h" in page


def test_a_slot_with_many_dates(manager, db):
    sequence = factories.make_sequence()
    days = [f"2027-03-{day:02d}" for day in range(1, 31)]
    answer = post_json(
        manager,
        f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}",
        slot_data(*days),
    ).get_json()
    assert answer["ok"], answer
    assert len(sequence.slots[0].dates) == 30 and sequence.session.duration_days == Decimal(30)


def test_change_events_are_visible_in_the_history(login_as, db):
    ops = login_as(Role.OPS_MANAGER)
    slot = factories.make_slot(days=[date(2027, 5, 15)])
    session = slot.sequence.session
    factories.enrol(session)
    post_json(
        ops,
        f"/admin/sessions/slot/save/?id={session.id}&sequence={slot.sequence_id}&slot={slot.id}",
        slot_data("2027-05-16", change_reason="Report", no_calendar_update="y"),
    )
    page = unescape(ops.get(f"/admin/sessions/details/?id={session.id}&tab=history").get_data(as_text=True))
    assert "Invitations calendrier : non mises à jour (à la demande)" in page
    assert "16/05/2027" in page and "Report" in page


def test_new_sequence_counts_once(manager, db):
    session = factories.make_session()
    post_json(manager, f"/admin/sessions/sequence/save/?id={session.id}", {"label": "Jour 1"})
    post_json(manager, f"/admin/sessions/sequence/save/?id={session.id}", {"label": "Jour 2"})
    assert session.sequence_count == 2 and len(session.sequences) == 2
