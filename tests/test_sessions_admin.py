"""Sessions through the admin form (the pencil) and slots through the planning editor: the form
edits the session's own fields only; sequences and slots have one editor, the planning editor."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from trainadmin.models import Sequence, Slot

from . import factories
from .conftest import count_rows, field_errors, flashed_errors, post_form
from .test_planning import post_json, slot_data

SEQUENCES = {
    "sequences-0-label": "Jour 1",
    "sequences-0-position": "0",
    "sequences-0-status": "planned",
    "sequences-1-label": "Pré-requis en ligne",
    "sequences-1-is_prework": "y",
}


def _session_form(session, **changes):
    return {
        "training": str(session.training_id),
        "year": str(session.year),
        "label": session.label,
        "session_type": session.session_type.value,
        "capacity_min": "3",
        "capacity_target": "6",
        "capacity_max": "10",
        "expected_version": str(session.version),
        **changes,
    }


def test_the_session_form_edits_the_session_not_its_sequences(manager, db):
    """One editor for sequences: the planning editor. The pencil's form has none, and sequence
    fields posted to it are ignored."""
    session = factories.make_session(label="Avant")
    page = manager.get(f"/admin/sessions/edit/?id={session.id}").get_data(as_text=True)
    assert "sequences-0" not in page and 'name="sequences' not in page
    response = post_form(
        manager, f"/admin/sessions/edit/?id={session.id}", _session_form(session, label="Après", **SEQUENCES)
    )
    assert response.status_code == 302, flashed_errors(response.get_data(as_text=True))
    assert session.label == "Après" and count_rows(db, Sequence) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": "1999"}, "year"),
        ({"capacity_min": "12"}, "capacity_min"),
        ({"label": "   "}, "label"),
    ],
)
def test_bad_session_input_is_refused_next_to_the_field(manager, db, changes, field):
    session = factories.make_session(label="Avant")
    response = post_form(manager, f"/admin/sessions/edit/?id={session.id}", _session_form(session, **changes))
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), field)
    assert session.label == "Avant"


def test_slot_with_dates_updates_the_session(manager, db):
    sequence = factories.make_sequence()
    location = factories.make_location()
    room = location.rooms[0]
    trainers = [factories.make_trainer(), factories.make_trainer()]
    url = f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}"
    data = slot_data("2027-05-15", start="09:00", end="17:30", pause="60") | {
        "location_id": str(location.id),
        "room_id": str(room.id),
        "trainer_ids": [str(t.id) for t in trainers],
        "location_comment": "Badge à l'accueil",
        "dates-1-day": "2027-05-16",
        "dates-1-start_time": "09:00",
        "dates-1-end_time": "12:30",
        "dates-1-break_minutes": "0",
    }
    answer = post_json(manager, url, data).get_json()
    assert answer["ok"], answer
    session = sequence.session
    assert (session.start_date, session.end_date) == (date(2027, 5, 15), date(2027, 5, 16))
    assert str(session.duration_days) == "2.0" and str(session.duration_hours) == "11.00"
    page = manager.get(f"/admin/sessions/details/?id={session.id}").get_data(as_text=True)
    assert "15/05/2027" in page and "16/05/2027" in page

    slot = db.session.scalar(sa.select(Slot).where(Slot.sequence_id == sequence.id))
    delete = f"/admin/sessions/slot/delete/?id={session.id}&slot={slot.id}"
    assert post_json(manager, delete, {}).get_json()["ok"]
    assert session.start_date is None and session.duration_days == 0


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        (
            ("2027-05-15", "17:00", "09:00", "0"),
            "end_time",
            "L'heure de fin doit être postérieure à l'heure de début.",
        ),
        (
            ("2027-05-15", "09:00", "10:00", "90"),
            "break_minutes",
            "Le temps de pause doit être plus court que la journée.",
        ),
        (
            ("1850-05-15", "09:00", "17:00", "0"),
            "day",
            "La date du 15/05/1850 est en dehors de la période autorisée.",
        ),
        (("", "09:00", "17:00", "0"), "day", None),
    ],
)
def test_bad_slot_dates_are_refused_next_to_the_field(manager, db, dates, field, message):
    sequence = factories.make_sequence()
    day, start, end, pause = dates
    url = f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}"
    answer = post_json(manager, url, slot_data(day, start=start, end=end, pause=pause))
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert f"dates-0-{field}" in errors and (message is None or errors[f"dates-0-{field}"] == message)
    assert count_rows(db, Slot) == 0


def test_room_must_belong_to_the_location(manager, db):
    sequence = factories.make_sequence()
    lyon, paris = factories.make_location(), factories.make_location()
    url = f"/admin/sessions/slot/save/?id={sequence.session_id}&sequence={sequence.id}"
    data = slot_data("2027-05-15", pause="0") | {
        "location_id": str(lyon.id),
        "room_id": str(paris.rooms[0].id),
    }
    errors = post_json(manager, url, data).get_json()["errors"]
    assert errors["room"] == "Cette salle n'appartient pas au lieu choisi."
