"""« Présences »: attendance per half-day, whole-day settings, rates, sign-in sheets, certifications."""

from __future__ import annotations

import io
import re
from datetime import date, time, timedelta
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from pypdf import PdfReader

from trainadmin.models import (
    Attendance,
    CertificationResult,
    HalfDay,
    Presence,
    RequestStatus,
    Role,
)
from trainadmin.services.errors import DomainError, ValidationFailed
from trainadmin.services.participants import (
    attendance_days,
    attendance_sheet,
    covered_half_days,
    save_sheet,
    set_whole_day,
)

from . import factories
from .conftest import count_rows, flashed_errors, post_form

AM, PM = HalfDay.MORNING, HalfDay.AFTERNOON
TODAY = date(2027, 6, 1)


def page(client, url):
    return unescape(client.get(url).get_data(as_text=True))


@pytest.fixture(autouse=True)
def english_messages(request):
    """Service tests read the messages in English too (the msgids), whatever the default locale."""
    if "any_db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("any_db")
    with force_locale("en"):
        yield


def session_with(participants: int = 2, days: tuple[date, ...] = (date(2027, 3, 15),), **kw):
    """A session, its enrolled demandes and its slot dates (09:00–17:00 unless changed)."""
    session = factories.make_session(**kw)
    slot = factories.make_slot(factories.make_sequence(session), days=list(days))
    requests = [
        factories.enrol(session, factories.make_collaborator(last_name=f"Participant{i:02d}"))
        for i in range(participants)
    ]
    return session, requests, list(slot.dates)


def values(db) -> dict[tuple[int, int, str], Presence]:
    rows = db.session.execute(
        sa.select(Attendance.request_id, Attendance.slot_date_id, Attendance.half_day, Attendance.value)
    )
    return {(r, d, h): v for r, d, h, v in rows}


def cell(request, slot_date, half: HalfDay) -> str:
    return f"attendance-{request.id}-{slot_date.id}-{half.value}"


# --- Rules (service, on SQLite and PostgreSQL) ----------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "halves"),
    [
        (time(9), time(17), (AM, PM)),
        (time(8, 30), time(12), (AM,)),
        (time(9), time(13), (AM,)),
        (time(11), time(12, 30), (AM,)),
        (time(13, 30), time(17), (PM,)),
        (time(12), time(13), (PM,)),
        (time(11, 45), time(13, 15), (AM, PM)),
    ],
)
def test_half_days_a_date_covers(start, end, halves):
    assert covered_half_days(start, end) == halves


def test_pre_work_dates_are_not_attendance_dates(any_db):
    session = factories.make_session()
    prework = factories.make_sequence(session, is_prework=True, position=0)
    factories.make_slot(prework, days=[date(2027, 3, 1)])
    main = factories.make_slot(factories.make_sequence(session, position=1), days=[date(2027, 3, 16)])
    factories.make_slot(factories.make_sequence(session, position=2), days=[date(2027, 3, 15)])
    days = attendance_days(session)
    assert [d.slot_date.day for d in days] == [date(2027, 3, 15), date(2027, 3, 16)]
    assert days[1].slot_date == main.dates[0] and days[1].half_days == (AM, PM)


def test_save_update_and_clear_cells(any_db):
    session, (ana, bob), [day] = session_with()
    save_sheet(
        session,
        [
            (ana.id, day.id, "am", "present"),
            (ana.id, day.id, "pm", "absent"),
            (str(bob.id), str(day.id), "am", "excused"),
            (bob.id, day.id, "pm", ""),  # left blank: nothing recorded
        ],
        [],
        TODAY,
    )
    assert values(any_db) == {
        (ana.id, day.id, AM): Presence.PRESENT,
        (ana.id, day.id, PM): Presence.ABSENT,
        (bob.id, day.id, AM): Presence.EXCUSED,
    }
    save_sheet(session, [(ana.id, day.id, "pm", "present"), (bob.id, day.id, "am", "")], [], TODAY)
    assert values(any_db) == {(ana.id, day.id, AM): Presence.PRESENT, (ana.id, day.id, PM): Presence.PRESENT}
    assert count_rows(any_db, Attendance) == 2


def test_rates_count_present_among_recorded_half_days(any_db):
    session, (ana, bob, cleo), days = session_with(3, days=(date(2027, 3, 15), date(2027, 3, 16)))
    cells = [
        (ana.id, days[0].id, "am", "present"),
        (ana.id, days[0].id, "pm", "present"),
        (ana.id, days[1].id, "am", "excused"),
        (bob.id, days[0].id, "am", "absent"),
    ]
    save_sheet(session, cells, [], TODAY)
    sheet = attendance_sheet(session)
    rates = {line.request.id: line.rate for line in sheet.lines}
    assert rates == {ana.id: Decimal("66.7"), bob.id: Decimal("0.0"), cleo.id: None}
    assert sheet.rate == Decimal("50.0")  # 2 present of 4 recorded
    assert sheet.value(ana.id, days[1].id, AM) == Presence.EXCUSED


def test_a_half_day_the_date_no_longer_covers_is_not_counted(any_db):
    session, [ana], [day] = session_with(1)
    save_sheet(session, [(ana.id, day.id, "am", "present"), (ana.id, day.id, "pm", "absent")], [], TODAY)
    day.end_time = time(12)  # the afternoon was dropped after attendance was taken
    any_db.session.flush()
    sheet = attendance_sheet(session)
    assert sheet.value(ana.id, day.id, PM) is None and sheet.lines[0].rate == Decimal("100.0")


def test_only_enrolled_participants_are_listed(any_db):
    session, [ana], _days = session_with(1)
    waiting = factories.enrol(session)
    waiting.status = RequestStatus.WAITLISTED
    any_db.session.flush()
    assert [line.request for line in attendance_sheet(session).lines] == [ana]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("other_session_date", "This date is not a date of this session."),
        ("pre_work_date", "This date is not a date of this session."),
        ("morning_not_covered", "No morning on 15/03/2027: the slot starts at 14:00."),
        ("afternoon_not_covered", "No afternoon on 16/03/2027: the slot ends at 12:00."),
        ("waitlisted", "Attendance can only be recorded for the enrolled participants of this session."),
        ("other_session_request", "Attendance can only be recorded for the enrolled participants"),
        ("unknown_value", "Choose present, absent or excused."),
        ("unknown_half_day", "Choose the morning or the afternoon."),
        ("not_a_number", "The attendance sheet sent is not valid"),
        ("not_an_ascii_number", "The attendance sheet sent is not valid"),
    ],
)
def test_bad_cells_save_nothing(any_db, case, message):
    session = factories.make_session()
    slot = factories.make_slot(factories.make_sequence(session), days=[date(2027, 3, 15), date(2027, 3, 16)])
    afternoon, morning = slot.dates
    afternoon.start_time = time(14)
    morning.end_time = time(12)
    prework = factories.make_slot(factories.make_sequence(session, is_prework=True), days=[date(2027, 3, 1)])
    ana = factories.enrol(session)
    waiting = factories.enrol(session)
    waiting.status = RequestStatus.WAITLISTED
    other_session, [stranger], [other_date] = session_with(1)
    any_db.session.flush()
    bad = {
        "other_session_date": (ana.id, other_date.id, "am", "present"),
        "pre_work_date": (ana.id, prework.dates[0].id, "am", "present"),
        "morning_not_covered": (ana.id, afternoon.id, "am", "present"),
        "afternoon_not_covered": (ana.id, morning.id, "pm", "present"),
        "waitlisted": (waiting.id, morning.id, "am", "present"),
        "other_session_request": (stranger.id, other_date.id, "am", "present"),
        "unknown_value": (ana.id, morning.id, "am", "late"),
        "unknown_half_day": (ana.id, morning.id, "evening", "present"),
        "not_a_number": ("1 OR 1=1", "x", "am", "present"),
        "not_an_ascii_number": (ana.id, "²", "am", "present"),
    }[case]
    good = (ana.id, morning.id, "am", "present")
    with pytest.raises(ValidationFailed) as refused:
        save_sheet(session, [good, bad], [], TODAY)
    assert any(text.startswith(message) for text in refused.value.errors.values()), refused.value.errors
    assert count_rows(any_db, Attendance) == 0


def test_whole_day_sets_every_enrolled_participant(any_db):
    session, (ana, bob), days = session_with(2, days=(date(2027, 3, 15), date(2027, 3, 16)))
    days[1].end_time = time(12)
    waiting = factories.enrol(session)
    waiting.status = RequestStatus.WAITLISTED
    save_sheet(session, [(ana.id, days[0].id, "am", "absent")], [], TODAY)
    assert set_whole_day(session, str(days[0].id), "present") == 4
    assert set_whole_day(session, days[1].id, "excused") == 2  # the morning only
    assert values(any_db) == {
        (ana.id, days[0].id, AM): Presence.PRESENT,
        (ana.id, days[0].id, PM): Presence.PRESENT,
        (bob.id, days[0].id, AM): Presence.PRESENT,
        (bob.id, days[0].id, PM): Presence.PRESENT,
        (ana.id, days[1].id, AM): Presence.EXCUSED,
        (bob.id, days[1].id, AM): Presence.EXCUSED,
    }


@pytest.mark.parametrize(
    ("slot_date_id", "value", "message"),
    [
        ("foreign", "present", "This date is not a date of this session."),
        ("abc", "present", "This date is not a date of this session."),
        ("²", "present", "This date is not a date of this session."),
        ("own", "late", "Choose present, absent or excused."),
    ],
)
def test_whole_day_refusals(any_db, slot_date_id, value, message):
    session, _requests, [day] = session_with()
    _other, _people, [foreign] = session_with()
    target = {"foreign": foreign.id, "own": day.id}.get(slot_date_id, slot_date_id)
    with pytest.raises(DomainError, match=re.escape(message)):
        set_whole_day(session, target, value)
    assert count_rows(any_db, Attendance) == 0


def results(db) -> dict[int, tuple[bool, date | None]]:
    rows = db.session.execute(
        sa.select(
            CertificationResult.request_id, CertificationResult.obtained, CertificationResult.obtained_on
        )
    )
    return {r: (o, d) for r, o, d in rows}


def test_certification_results_recorded_changed_and_cleared(any_db):
    session, (ana, bob), _days = session_with(2, days=(date(2027, 3, 15),))
    save_sheet(session, [], [(ana.id, "obtained", "2027-03-20"), (bob.id, "not_obtained", "")], TODAY)
    assert results(any_db) == {ana.id: (True, date(2027, 3, 20)), bob.id: (False, None)}
    save_sheet(session, [], [(ana.id, "", "2027-03-20"), (bob.id, "obtained", "21/03/2027")], TODAY)
    assert results(any_db) == {bob.id: (True, date(2027, 3, 21))}
    assert attendance_sheet(session).lines[1].certification.obtained_on == date(2027, 3, 21)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (("obtained", ""), "enter the date the certification was obtained."),
        (("obtained", "2027-06-02"), "the certification date cannot be in the future."),
        (("not_obtained", "2027-06-02"), "the certification date cannot be in the future."),
        (
            ("obtained", "2027-03-14"),
            "the certification date cannot be before the start of the session (15/03/2027).",
        ),
        (("obtained", "14/13/2027"), "enter the certification date as dd/mm/yyyy."),
        (("passed", "2027-03-20"), "choose obtained or not obtained."),
    ],
)
def test_certification_refusals(any_db, entry, message):
    session, [ana], [day] = session_with(1, days=(date(2027, 3, 15),))
    ana.collaborator.first_name, ana.collaborator.last_name = "Ana", "Lopez"
    with pytest.raises(ValidationFailed) as refused:
        save_sheet(session, [(ana.id, day.id, "am", "present")], [(ana.id, *entry)], TODAY)
    assert refused.value.errors == {f"certification-{ana.id}": f"Ana Lopez: {message}"}
    assert count_rows(any_db, CertificationResult) == 0 and count_rows(any_db, Attendance) == 0


def test_certification_only_for_enrolled_participants(any_db):
    session, [ana], _days = session_with(1)
    _other, [stranger], _other_days = session_with(1)
    for request_id in (stranger.id, "x"):
        with pytest.raises(ValidationFailed):
            save_sheet(
                session, [], [(ana.id, "not_obtained", ""), (request_id, "obtained", "2027-03-20")], TODAY
            )
    assert count_rows(any_db, CertificationResult) == 0


# --- The tab (HTTP) -------------------------------------------------------------------------


def tab_url(session) -> str:
    return f"/admin/sessions/details/?id={session.id}&tab=attendance"


def test_the_tab_shows_a_grid_and_saves_it_all_at_once(manager_en, db):
    session, (ana, bob), days = session_with(2, days=(date(2027, 3, 15), date(2027, 3, 16)))
    days[1].start_time = time(13, 30)  # afternoon only
    db.session.flush()
    html = page(manager_en, tab_url(session))
    assert 'id="attendance-grid"' in html and 'data-tab="attendance">Attendance</a>' in html
    grid = html.split('id="attendance-grid"')[1]
    assert grid.count('<select name="attendance-') == 6  # 2 participants × (2 + 1) half-days
    assert f'name="{cell(ana, days[1], AM)}"' not in grid
    assert "Participant00" in grid and "Participant01" in grid
    assert grid.split('id="session-attendance-rate"')[1].startswith(">—")

    response = post_form(
        manager_en,
        f"/admin/sessions/attendance/?id={session.id}",
        {
            cell(ana, days[0], AM): "present",
            cell(ana, days[0], PM): "present",
            cell(ana, days[1], PM): "absent",
            cell(bob, days[0], AM): "excused",
            cell(bob, days[0], PM): "",
            cell(bob, days[1], PM): "present",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("tab=attendance")
    after = page(manager_en, response.headers["Location"])
    assert "Attendance saved." in after
    assert len(values(db)) == 5
    ana_row = after.split(f'data-request="{ana.id}"')[1].split("</tr>")[0]
    assert "66.7 %" in ana_row and "(2/3)" in ana_row
    assert re.search(r'value="absent" selected', ana_row)
    assert "60 %" in after.split('id="session-attendance-rate"')[1]  # 3 present of 5 recorded


def test_the_grid_reads_in_french(login_as, db):
    session, [ana], [day] = session_with(1)
    save_sheet(session, [(ana.id, day.id, "am", "excused")], [], TODAY)
    html = page(login_as(Role.VIEWER), tab_url(session))
    grid = html.split('id="attendance-grid"')[1]
    assert "Matin" in grid and "Après-midi" in grid and "Excusé" in grid and "15/03/2027" in grid


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("other_session_date", "This date is not a date of this session."),
        ("uncovered_half_day", "No afternoon on 15/03/2027: the slot ends at 12:00."),
        ("not_enrolled", "Attendance can only be recorded for the enrolled participants of this session."),
        ("unknown_value", "Choose present, absent or excused."),
        ("not_numbers", "The attendance sheet sent is not valid: reload the page and try again."),
        ("short_key", "The attendance sheet sent is not valid: reload the page and try again."),
        ("certification_not_enrolled", "A certification result can only be recorded for the enrolled"),
    ],
)
def test_bad_posts_are_explained_and_save_nothing(manager_en, db, case, message):
    session, [ana], [day] = session_with(1)
    day.end_time = time(12)
    cancelled = factories.enrol(session)
    cancelled.status = RequestStatus.CANCELLED
    _other, _people, [foreign] = session_with(1)
    db.session.flush()
    bad = {
        "other_session_date": {f"attendance-{ana.id}-{foreign.id}-am": "present"},
        "uncovered_half_day": {cell(ana, day, PM): "present"},
        "not_enrolled": {cell(cancelled, day, AM): "present"},
        "unknown_value": {cell(ana, day, AM): "<b>late</b>"},
        "not_numbers": {f"attendance-{ana.id}-abc-am": "present", f"attendance--{day.id}-am": "present"},
        "short_key": {"attendance-12": "present"},
        "certification_not_enrolled": {f"certification-{cancelled.id}": "not_obtained"},
    }[case]
    good = {f"attendance-{ana.id}-{day.id}-am": "present", f"certification-{ana.id}": "not_obtained"}
    response = post_form(manager_en, f"/admin/sessions/attendance/?id={session.id}", {**good, **bad})
    assert response.status_code == 302
    assert message in " ".join(flashed_errors(page(manager_en, response.headers["Location"])))
    assert count_rows(db, Attendance) == 0 and count_rows(db, CertificationResult) == 0


@pytest.mark.parametrize("session_id", ["999999", "abc", "", "²"])
def test_unknown_session_is_not_found(manager_en, db, session_id):
    for url in (
        f"/admin/sessions/attendance/?id={session_id}",
        f"/admin/sessions/attendance/day/?id={session_id}",
    ):
        assert post_form(manager_en, url, {}).status_code == 404
    assert manager_en.get(f"/admin/sessions/attendance/sheet/?id={session_id}&date=1").status_code == 404


def test_set_a_whole_day_from_the_tab(manager_en, db):
    session, (ana, bob), [day] = session_with(2)
    html = page(manager_en, tab_url(session))
    assert html.count("data-whole-day") == 1
    url = f"/admin/sessions/attendance/day/?id={session.id}"
    response = post_form(manager_en, url, {"slot_date_id": str(day.id), "value": "present"})
    assert "4 half-days recorded as Present." in page(manager_en, response.headers["Location"])
    assert set(values(db).values()) == {Presence.PRESENT} and len(values(db)) == 4
    _other, _people, [foreign] = session_with(1)
    for data, message in (
        ({"slot_date_id": str(foreign.id), "value": "absent"}, "This date is not a date of this session."),
        ({"slot_date_id": "1e3", "value": "absent"}, "This date is not a date of this session."),
        ({"slot_date_id": str(day.id), "value": "gone"}, "Choose present, absent or excused."),
    ):
        response = post_form(manager_en, url, data)
        assert message in " ".join(flashed_errors(page(manager_en, response.headers["Location"])))
    assert set(values(db).values()) == {Presence.PRESENT}


def test_certification_from_the_tab(manager_en, login_as, db):
    start = date.today() - timedelta(days=20)
    session, (ana, bob), [day] = session_with(2, days=(start,))
    url = f"/admin/sessions/attendance/?id={session.id}"
    obtained_on = start + timedelta(days=2)
    response = post_form(
        manager_en,
        url,
        {
            f"certification-{ana.id}": "obtained",
            f"certification_on-{ana.id}": obtained_on.isoformat(),
            f"certification-{bob.id}": "not_obtained",
            f"certification_on-{bob.id}": "",
        },
    )
    assert "Attendance saved." in page(manager_en, response.headers["Location"])
    assert results(db) == {ana.id: (True, obtained_on), bob.id: (False, None)}
    html = page(manager_en, tab_url(session))
    ana_row = html.split(f'data-request="{ana.id}"')[1].split("</tr>")[0]
    assert 'value="obtained" selected' in ana_row and f'value="{obtained_on.isoformat()}"' in ana_row

    shown = page(login_as(Role.VIEWER, locale="en"), tab_url(session))
    assert f"Obtained ({obtained_on:%d/%m/%Y})" in shown and "Not obtained" in shown

    tomorrow = date.today() + timedelta(days=2)
    response = post_form(
        manager_en,
        url,
        {f"certification-{ana.id}": "obtained", f"certification_on-{ana.id}": tomorrow.isoformat()},
    )
    assert "the certification date cannot be in the future." in " ".join(
        flashed_errors(page(manager_en, response.headers["Location"]))
    )
    response = post_form(manager_en, url, {f"certification-{ana.id}": "", f"certification-{bob.id}": ""})
    assert response.status_code == 302 and results(db) == {}


def test_signin_sheet_pdf(login_as, db):
    viewer = login_as(Role.VIEWER, locale="en")
    training = factories.make_training(name="Habilitation électrique")
    session = factories.make_session(training=training, label="Habilitation B1V")
    location = factories.make_location(name="Campus Lyon", address="12 rue Garibaldi", city="Lyon")
    trainer = factories.make_trainer(first_name="Claire", last_name="Fontaine")
    co_trainer = factories.make_trainer(first_name="Hugo", last_name="Bernard")
    sequence = factories.make_sequence(session, label="Théorie")
    slot = factories.make_slot(
        sequence,
        days=[date(2027, 3, 15), date(2027, 3, 16)],
        location=location,
        room=location.rooms[0],
        trainers=[trainer],
        co_trainer=co_trainer,
    )
    slot.dates[0].end_time = time(12, 30)
    inès = factories.enrol(session, factories.make_collaborator(first_name="Inès", last_name="Moreau"))
    factories.enrol(session, factories.make_collaborator(first_name="Jean", last_name="Petit"))
    waiting = factories.enrol(session, factories.make_collaborator(first_name="Zoé", last_name="Attente"))
    waiting.status = RequestStatus.WAITLISTED
    db.session.flush()
    html = page(viewer, tab_url(session))
    links = re.findall(r'href="(/admin/sessions/attendance/sheet/[^"]+)"', html)
    assert len(links) == 2 and f"date={slot.dates[0].id}" in links[0]

    response = viewer.get(f"/admin/sessions/attendance/sheet/?id={session.id}&date={slot.dates[0].id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    name = f"emargement-{session.code}-2027-03-15.pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for expected in (
        "Sign-in sheet",
        session.code,
        "Habilitation B1V",
        "Habilitation électrique",
        "Théorie",
        "15/03/2027",
        "09:00-12:30",
        "Campus Lyon",
        "12 rue Garibaldi",
        "Inès Moreau",
        "Jean Petit",
        "Claire Fontaine",
        "Hugo Bernard",
        "Morning",
    ):
        assert expected in text, expected
    assert "Zoé Attente" not in text and "Afternoon" not in text  # waiting list; morning-only date
    assert inès.collaborator.email not in text

    afternoon = viewer.get(f"/admin/sessions/attendance/sheet/?id={session.id}&date={slot.dates[1].id}")
    assert "Afternoon" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(afternoon.data)).pages)


def test_signin_sheet_of_another_date_is_not_found(manager_en, db):
    session, _requests, [day] = session_with(1)
    _other, _people, [foreign] = session_with(1)
    prework = factories.make_slot(factories.make_sequence(session, is_prework=True), days=[date(2027, 3, 1)])
    base = f"/admin/sessions/attendance/sheet/?id={session.id}&date="
    assert manager_en.get(base + str(day.id)).status_code == 200
    for slot_date_id in (foreign.id, prework.dates[0].id, "abc", "", "99999999999", "²"):
        assert manager_en.get(base + str(slot_date_id)).status_code == 404, slot_date_id


def test_empty_states(manager_en, db):
    no_dates = factories.make_session()
    factories.enrol(no_dates)
    assert 'id="attendance-no-dates"' in page(manager_en, tab_url(no_dates))
    nobody, _requests, [day] = session_with(0)
    html = page(manager_en, tab_url(nobody))
    assert 'id="attendance-nobody"' in html and 'id="attendance-form"' not in html
    response = post_form(
        manager_en,
        f"/admin/sessions/attendance/day/?id={nobody.id}",
        {"slot_date_id": str(day.id), "value": "present"},
    )
    warning = re.search(
        r'class="alert alert-warning[^"]*"[^>]*>(.*?)</div>',
        page(manager_en, response.headers["Location"]),
        re.S,
    )
    assert warning and "Nobody is enrolled in this session." in warning.group(1)
    assert count_rows(db, Attendance) == 0


# --- Who may ----------------------------------------------------------------------------------


def test_viewer_reads_without_forms_and_cannot_post(login_as, db):
    viewer = login_as(Role.VIEWER, locale="en")
    session, [ana], [day] = session_with(1)
    save_sheet(session, [(ana.id, day.id, "am", "present")], [], TODAY)
    html = page(viewer, tab_url(session))
    grid = html.split('id="attendance-grid"')[1]
    assert "Present" in grid and "<select" not in grid
    assert 'id="attendance-form"' not in html and "data-whole-day" not in html
    assert "data-signin-sheet" in html
    for url, data in (
        (f"/admin/sessions/attendance/?id={session.id}", {cell(ana, day, AM): "absent"}),
        (
            f"/admin/sessions/attendance/day/?id={session.id}",
            {"slot_date_id": str(day.id), "value": "absent"},
        ),
    ):
        assert post_form(viewer, url, data).status_code == 403
    assert values(db) == {(ana.id, day.id, AM): Presence.PRESENT}


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OPS_MANAGER, Role.ADMIN])
def test_staff_records_attendance_even_on_a_locked_session(login_as, db, role):
    client = login_as(role, locale="en")
    session, [ana], [day] = session_with(1)
    html = page(client, tab_url(session))
    assert 'id="lock-box"' in html and 'id="attendance-form"' in html  # enrolled: the session is locked
    response = post_form(
        client, f"/admin/sessions/attendance/?id={session.id}", {cell(ana, day, PM): "absent"}
    )
    assert response.status_code == 302
    response = post_form(
        client,
        f"/admin/sessions/attendance/day/?id={session.id}",
        {"slot_date_id": str(day.id), "value": "present"},
    )
    assert response.status_code == 302
    assert values(db) == {(ana.id, day.id, AM): Presence.PRESENT, (ana.id, day.id, PM): Presence.PRESENT}


# --- Cost -------------------------------------------------------------------------------------


def filled_session(participants: int, day_count: int):
    """Participants × dates over two sequences, with places, trainers, values and certifications."""
    session = factories.make_session()
    location = factories.make_location()
    first = date(2027, 3, 15)
    days = [first + timedelta(days=i) for i in range(day_count)]
    for index, chunk in enumerate((days[: (day_count + 1) // 2], days[(day_count + 1) // 2 :])):
        if chunk:
            factories.make_slot(
                factories.make_sequence(session, position=index),
                days=chunk,
                location=location,
                room=location.rooms[0],
                trainers=[factories.make_trainer()],
            )
    requests = [factories.enrol(session) for _ in range(participants)]
    dates = [day.slot_date.id for day in attendance_days(session)]
    cells = [(r.id, d, half, "present") for r in requests for d in dates for half in ("am", "pm")]
    certifications = [(r.id, "not_obtained", "") for r in requests]
    save_sheet(session, cells, certifications, TODAY)
    return session


def test_the_tab_runs_a_constant_number_of_queries(manager_en, db, count_queries):
    small = filled_session(2, 1)
    large = filled_session(20, 4)
    db.session.flush()
    manager_en.get(tab_url(small))  # warm-up: caches of the first request
    with count_queries() as few:
        small_page = page(manager_en, tab_url(small))
    with count_queries() as many:
        large_page = page(manager_en, tab_url(large))
    assert small_page.count('name="attendance-') == 2 * 2
    assert large_page.count('name="attendance-') == 20 * 4 * 2
    assert many.count == few.count, f"{few.count} queries for 2 × 1, {many.count} for 20 × 4"
