"""Sessions, sequences and slots through the admin forms (the full behaviours come with the
sessions and planning capabilities; this is the working CRUD they build on)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from trainadmin.models import Role, SequenceStatus, Slot

from . import factories
from .conftest import field_errors, flashed_errors, post_form


@pytest.fixture
def manager(login_as):
    return login_as(Role.MANAGER)


SEQUENCES = {
    "sequences-0-label": "Jour 1",
    "sequences-0-position": "0",
    "sequences-0-status": "planned",
    "sequences-0-hot_survey_delay_days": "0",
    "sequences-0-cold_survey_delay_days": "60",
    "sequences-0-url": "https://lms.example.com/excel",
    "sequences-1-label": "Pré-requis en ligne",
    "sequences-1-position": "1",
    "sequences-1-is_prework": "y",
    "sequences-1-status": "planned",
    "sequences-1-hot_survey_delay_days": "0",
    "sequences-1-cold_survey_delay_days": "60",
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


def test_sequences_are_added_in_the_session_form(manager, db):
    session = factories.make_session()
    mode = factories.make_named(factories.TeachingMode, name="Présentiel")
    data = _session_form(session, **SEQUENCES, **{"sequences-0-teaching_mode": str(mode.id)})
    response = post_form(manager, f"/admin/sessions/edit/?id={session.id}", data)
    assert response.status_code == 302, flashed_errors(response.get_data(as_text=True))
    assert [(s.label, s.is_prework, s.status) for s in session.sequences] == [
        ("Jour 1", False, SequenceStatus.PLANNED),
        ("Pré-requis en ligne", True, SequenceStatus.PLANNED),
    ]
    assert session.sequences[0].teaching_mode == mode
    assert session.sequence_count == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": "1999"}, "year"),
        ({"capacity_min": "12"}, "capacity_min"),
        ({**SEQUENCES, "sequences-0-url": "ftp://files.example.com"}, "sequences-0-url"),
        ({**SEQUENCES, "sequences-0-cold_survey_delay_days": "400"}, "sequences-0-cold_survey_delay_days"),
    ],
)
def test_bad_session_input_is_refused_next_to_the_field(manager, db, changes, field):
    session = factories.make_session(label="Avant")
    response = post_form(manager, f"/admin/sessions/edit/?id={session.id}", _session_form(session, **changes))
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), field)
    assert session.label == "Avant" and session.sequences == []


def test_slot_with_dates_updates_the_session(manager, db):
    sequence = factories.make_sequence()
    location = factories.make_location()
    room = location.rooms[0]
    trainers = [factories.make_trainer(), factories.make_trainer()]
    assert manager.get(f"/admin/slots/new/?sequence_id={sequence.id}").status_code == 200
    response = post_form(
        manager,
        "/admin/slots/new/",
        {
            "sequence": str(sequence.id),
            "location": str(location.id),
            "room": str(room.id),
            "trainers": [str(t.id) for t in trainers],
            "location_comment": "Badge à l'accueil",
            "dates-0-day": "2027-05-15",
            "dates-0-start_time": "09:00",
            "dates-0-end_time": "17:30",
            "dates-0-break_minutes": "60",
            "dates-1-day": "2027-05-16",
            "dates-1-start_time": "09:00",
            "dates-1-end_time": "12:30",
            "dates-1-break_minutes": "0",
        },
    )
    assert response.status_code == 302, flashed_errors(response.get_data(as_text=True))
    session = sequence.session
    assert (session.start_date, session.end_date) == (date(2027, 5, 15), date(2027, 5, 16))
    assert str(session.duration_days) == "2.0" and str(session.duration_hours) == "11.00"
    page = manager.get(f"/admin/sessions/details/?id={session.id}").get_data(as_text=True)
    assert "15/05/2027" in page and "16/05/2027" in page

    slot = db.session.scalar(sa.select(Slot).where(Slot.sequence_id == sequence.id))
    response = post_form(manager, "/admin/slots/delete/", {"id": slot.id})
    assert response.status_code == 302
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
    response = post_form(
        manager,
        "/admin/slots/new/",
        {
            "sequence": str(sequence.id),
            "dates-0-day": day,
            "dates-0-start_time": start,
            "dates-0-end_time": end,
            "dates-0-break_minutes": pause,
        },
    )
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), f"dates-0-{field}")
    assert errors and (message is None or errors == [message])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Slot)) == 0


def test_room_must_belong_to_the_location(manager, db):
    sequence = factories.make_sequence()
    lyon, paris = factories.make_location(), factories.make_location()
    response = post_form(
        manager,
        "/admin/slots/new/",
        {
            "sequence": str(sequence.id),
            "location": str(lyon.id),
            "room": str(paris.rooms[0].id),
            "dates-0-day": "2027-05-15",
            "dates-0-start_time": "09:00",
            "dates-0-end_time": "17:00",
            "dates-0-break_minutes": "0",
        },
    )
    assert field_errors(response.get_data(as_text=True), "room") == [
        "Cette salle n'appartient pas au lieu choisi."
    ]
