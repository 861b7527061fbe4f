"""The tallies « Rapports » read (services/tallies.py) stay equal to a recount from the raw rows
after every path that writes marks, signatures, enrolments, planning, survey links or responses;
and the reports' figures are the same whether the tallies were kept by the services or counted again
from the raw rows by migration 0026."""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import asdict
from datetime import date, time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from trainadmin.demo import seed_demo
from trainadmin.models import (
    AccessLink,
    HalfDay,
    LinkPurpose,
    Presence,
    RequestStatus,
    Role,
    SequenceStatus,
    SignatureVia,
    SlotDate,
    SurveyKind,
    SurveyResponse,
    SurveyScore,
    SurveyTally,
    TrainingRequest,
)
from trainadmin.services import links, reports, tallies
from trainadmin.services.evaluations import add_response, answer_survey, import_responses, survey_link
from trainadmin.services.participants import (
    Device,
    attendance_days,
    attendance_sheet,
    cancel_enrolment,
    save_sheet,
    set_whole_day,
    sign_participant,
)
from trainadmin.services.planning import SlotInput, save_sequence, save_slot

from . import factories, reports_support
from .signin_support import make_half_day, set_clock, signature_png

AM, PM = HalfDay.MORNING, HalfDay.AFTERNOON
TODAY = date(2027, 6, 1)
QUESTIONS = "Clarté\nUtilité"
MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "versions"
    / "0026_attendance_and_score_tallies.py"
)


@pytest.fixture(autouse=True)
def english_messages(any_db):
    with force_locale("en"):
        yield


def stored_requests(db, session) -> dict[int, tuple[int, int, int]]:
    return {
        row.id: (row.present_half_days, row.absent_half_days, row.excused_half_days)
        for row in db.session.execute(
            sa.select(TrainingRequest.__table__).where(
                TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED
            )
        )
    }


def assert_attendance_tallies_match(db, session) -> dict[int, tuple[int, int, int]]:
    """The demandes' and dates' tallies equal what the « Présences » tab counts from the raw marks
    and signatures; returns the demandes' (present, absent, excused)."""
    db.session.flush()
    sheet = attendance_sheet(session)
    per_request = {line.request.id: Counter() for line in sheet.lines}
    per_date: dict[int, set | None] = {day.slot_date.id: None for day in sheet.days}
    for key in sheet.values.keys() | sheet.signed.keys():
        request_id, slot_date_id, _half = key
        value = sheet.effective(*key)
        per_request[request_id][value] += 1
        present = per_date[slot_date_id] if per_date[slot_date_id] is not None else set()
        if value == Presence.PRESENT:
            present.add(request_id)
        per_date[slot_date_id] = present
    expected = {
        request_id: (c[Presence.PRESENT], c[Presence.ABSENT], c[Presence.EXCUSED])
        for request_id, c in per_request.items()
    }
    assert stored_requests(db, session) == expected
    stored_dates = dict(
        db.session.execute(
            sa.select(SlotDate.id, SlotDate.present_participants).where(SlotDate.id.in_(list(per_date)))
        ).all()
    )
    assert stored_dates == {k: (len(v) if v is not None else None) for k, v in per_date.items()}
    return expected


def assert_survey_tallies_match(db, session) -> None:
    """Score lines and survey tallies equal a recount from the responses and survey links."""
    db.session.flush()
    scores: dict[tuple[str, str], list] = {}
    received = Counter()
    for response in db.session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.session_id == session.id)
    ):
        received[response.kind.value] += 1
        for question, value in response.answers.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                entry = scores.setdefault((response.kind.value, question), [0, 0])
                entry[0] += 1
                entry[1] += value
    stored = {
        (row.kind.value, row.question): [row.answers, float(row.total)]
        for row in db.session.scalars(sa.select(SurveyScore).where(SurveyScore.session_id == session.id))
    }
    assert stored == {key: [n, float(total)] for key, (n, total) in scores.items()}
    sent: dict[tuple[str, int, int | None], bool] = {}
    for link in db.session.scalars(
        sa.select(AccessLink)
        .join(TrainingRequest, TrainingRequest.id == AccessLink.request_id)
        .where(
            TrainingRequest.session_id == session.id,
            TrainingRequest.status == RequestStatus.ENROLLED,
            AccessLink.purpose == LinkPurpose.SURVEY,
        )
    ):
        key = ((link.survey_kind or SurveyKind.SESSION).value, link.request_id, link.sequence_id)
        sent[key] = sent.get(key, False) or link.used_at is not None
    invited = Counter(kind for kind, _r, _s in sent)
    answered = Counter(kind for (kind, _r, _s), used in sent.items() if used)
    expected = {
        kind: (received[kind], invited[kind], answered[kind]) for kind in set(received) | set(invited)
    }
    tally = {
        row.kind.value: (row.responses, row.invited, row.answered)
        for row in db.session.scalars(sa.select(SurveyTally).where(SurveyTally.session_id == session.id))
    }
    assert tally == expected


def attended_session(participants: int = 3, days=(date(2027, 3, 15), date(2027, 3, 16))):
    session = factories.make_session()
    sequence = factories.make_sequence(session)
    slot = factories.make_slot(sequence, days=list(days))
    requests = [factories.enrol(session) for _ in range(participants)]
    factories.db.session.flush()
    return session, sequence, slot, requests


# --- Attendance ------------------------------------------------------------------------------------


def test_marks_by_hand_and_cleared_keep_the_tallies(any_db):
    session, _sequence, slot, (a, b, c) = attended_session()
    first, second = (d.id for d in slot.dates)
    save_sheet(
        session,
        [
            (a.id, first, "am", "present"),
            (a.id, first, "pm", "absent"),
            (b.id, first, "am", "excused"),
            (c.id, second, "pm", "present"),
        ],
        [],
        TODAY,
    )
    assert assert_attendance_tallies_match(any_db, session)[a.id] == (1, 1, 0)
    save_sheet(session, [(a.id, first, "am", ""), (b.id, first, "am", "present")], [], TODAY)
    assert assert_attendance_tallies_match(any_db, session)[a.id] == (0, 1, 0)
    assert any_db.session.get(SlotDate, first).present_participants == 1  # Bravo, now present


def test_a_whole_day_keeps_the_tallies(any_db):
    session, _sequence, slot, requests = attended_session()
    set_whole_day(session, slot.dates[0].id, "present")
    counted = assert_attendance_tallies_match(any_db, session)
    assert all(counted[r.id] == (2, 0, 0) for r in requests)
    assert any_db.session.get(SlotDate, slot.dates[0].id).present_participants == 3
    assert any_db.session.get(SlotDate, slot.dates[1].id).present_participants is None


def test_a_signature_keeps_the_tallies(any_db, monkeypatch):
    half_day = make_half_day()
    set_clock(monkeypatch, 10)
    save_sheet(half_day.session, [(half_day.ben.id, half_day.slot_date.id, "am", "absent")], [], TODAY)
    device = Device(ip="192.0.2.1", user_agent="Firefox")
    sign_participant(half_day.ana.id, half_day.slot_date.id, AM, signature_png(), device, SignatureVia.QR)
    sign_participant(half_day.ben.id, half_day.slot_date.id, AM, signature_png(1), device, SignatureVia.QR)
    counted = assert_attendance_tallies_match(any_db, half_day.session)
    assert counted == {half_day.ana.id: (1, 0, 0), half_day.ben.id: (0, 1, 0)}  # the mark by hand wins
    assert any_db.session.get(SlotDate, half_day.slot_date.id).present_participants == 1


def test_a_cancelled_enrolment_leaves_the_dates_present_participants(any_db):
    session, _sequence, slot, (a, b, _c) = attended_session()
    set_whole_day(session, slot.dates[0].id, "present")
    cancel_enrolment(a, "collaborator", None)
    assert_attendance_tallies_match(any_db, session)
    assert any_db.session.get(SlotDate, slot.dates[0].id).present_participants == 2


def test_hours_changed_and_a_sequence_cancelled_keep_the_tallies(any_db):
    session, sequence, slot, (a, _b, _c) = attended_session()
    admin = factories.make_user(Role.ADMIN)
    set_whole_day(session, slot.dates[0].id, "present")
    set_whole_day(session, slot.dates[1].id, "absent")
    day1, day2 = (d.day for d in slot.dates)
    morning_only = SlotInput(dates=[(day1, time(9), time(12), 0), (day2, time(9), time(17), 60)])
    save_slot(sequence, morning_only, admin, reason="Horaires", slot=slot)
    assert assert_attendance_tallies_match(any_db, session)[a.id] == (1, 2, 0)  # the afternoon left out
    save_sequence(
        session, {"label": sequence.label, "status": SequenceStatus.CANCELLED}, admin, "Annulée", sequence
    )
    # A cancelled sequence was not taught: the reports count none of its half-days (the « Présences »
    # tab still shows them).
    assert len(attendance_days(session)) == 2
    assert stored_requests(any_db, session)[a.id] == (0, 0, 0)


# --- Surveys ---------------------------------------------------------------------------------------


def evaluated_session():
    evaluation = factories.make_named(factories.Evaluation, questions=QUESTIONS)
    session = factories.make_session(evaluation=evaluation)
    sequence = factories.make_sequence(session)
    requests = [factories.enrol(session) for _ in range(2)]
    return session, sequence, requests


def test_a_response_entered_by_hand_keeps_the_tallies(any_db):
    session, _sequence, (a, _b) = evaluated_session()
    add_response(session, a.id, SurveyKind.HOT, {"Clarté": "4", "Utilité": ""})
    add_response(session, None, SurveyKind.HOT, {"Clarté": "2", "Utilité": "5"})
    assert_survey_tallies_match(any_db, session)


def test_imported_responses_keep_the_tallies(any_db):
    session, _sequence, (a, _b) = evaluated_session()
    assert (
        import_responses(session, f"email;type;Clarté;Utilité\n{a.collaborator.email};froid;3;4\n;;5;\n") == 2
    )
    assert_survey_tallies_match(any_db, session)


def test_links_issued_and_answered_keep_the_tallies(any_db):
    session, sequence, (a, b) = evaluated_session()
    sequence.hot_survey_evaluation = factories.make_named(factories.Evaluation, questions="Accueil")
    url = survey_link(a, SurveyKind.HOT, sequence)
    survey_link(b, SurveyKind.HOT, sequence)
    survey_link(b, SurveyKind.HOT, sequence)  # a second link for the same survey: counted once
    assert_survey_tallies_match(any_db, session)
    answer_survey(links.find(url.rsplit("/l/", 1)[1], LinkPurpose.SURVEY), {"Accueil": "5"})
    assert_survey_tallies_match(any_db, session)
    assert any_db.session.scalars(sa.select(SurveyTally.answered)).all() == [1]
    cancel_enrolment(a, "collaborator", None)
    assert_survey_tallies_match(any_db, session)


# --- The reports, whichever way the tallies were counted --------------------------------------------


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0026", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures(filters) -> list:
    return [
        asdict(report(filters))
        for report in (
            reports.hours_report,
            reports.attendance_report,
            reports.satisfaction_report,
            reports.collaborators_report,
        )
    ] + [asdict(line) for line in reports.followed_sessions(filters)]


def test_the_figures_are_the_same_whether_the_tallies_were_kept_or_counted_from_the_raw_rows(any_db):
    reports_support.build()
    reports_support.build_more()
    year = reports.ReportFilters(start=date(2027, 1, 1), end=date(2027, 12, 31))
    kept = figures(year)
    # Wiped, then counted again from the raw rows by the migration's own statements (plain SQL).
    session = any_db.session
    session.execute(
        sa.update(TrainingRequest.__table__).values(
            present_half_days=0, absent_half_days=0, excused_half_days=0
        )
    )
    session.execute(sa.update(SlotDate.__table__).values(present_participants=None))
    session.execute(sa.delete(SurveyScore.__table__))
    session.execute(sa.delete(SurveyTally.__table__))
    assert figures(year) != kept
    migration = _migration()
    hours = [sa.bindparam("noon", time(12), type_=sa.Time()), sa.bindparam("one", time(13), type_=sa.Time())]
    for statement in (migration.PER_REQUEST, migration.PER_DATE):
        session.execute(sa.text(statement.replace("(marks)", f"({migration.MARKS})")).bindparams(*hours))
    dialect = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    session.execute(sa.text(migration.SCORES[dialect]))
    session.execute(sa.text(migration.SURVEY_TALLY))
    assert figures(year) == kept
    # And by the services' own recount over every session.
    tallies.recount_all()
    assert figures(year) == kept


def _all_tallies(db) -> tuple:
    requests = db.session.execute(
        sa.select(
            TrainingRequest.id,
            TrainingRequest.present_half_days,
            TrainingRequest.absent_half_days,
            TrainingRequest.excused_half_days,
        ).order_by(TrainingRequest.id)
    ).all()
    dates = db.session.execute(
        sa.select(SlotDate.id, SlotDate.present_participants).order_by(SlotDate.id)
    ).all()
    scores = sorted(
        (row.session_id, row.kind.value, row.question, row.answers, float(row.total))
        for row in db.session.scalars(sa.select(SurveyScore))
    )
    counts = sorted(
        (row.session_id, row.kind.value, row.responses, row.invited, row.answered)
        for row in db.session.scalars(sa.select(SurveyTally))
    )
    return requests, dates, scores, counts


def test_the_demo_data_keeps_the_tallies(any_db):
    seed_demo(admin_password="demo-password-1", today=date(2026, 11, 28))
    any_db.session.flush()
    kept = _all_tallies(any_db)
    tallies.recount_all()
    assert _all_tallies(any_db) == kept
