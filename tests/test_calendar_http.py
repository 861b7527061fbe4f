"""« Planning » over HTTP: the page for every role, the JSON of a range (content, filters, one
statement, refusals of bad parameters), the move of a date (roles, CSRF, the service's refusals)
and the room table's occupation rate."""

from __future__ import annotations

import re
from datetime import date, time
from html import unescape

import pytest

from trainadmin.models import Publication, Role, SequenceStatus, WorkflowStatus
from trainadmin.services.planning import refresh_date_state, save_sequence

from . import factories

EVENTS = "/admin/calendar/events/"
MOVE = "/admin/calendar/move/"


def events(client, **params):
    response = client.get(EVENTS, query_string={"start": "2027-05-10", "end": "2027-05-17", **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    return [dict(zip(data["fields"], row, strict=True)) for row in data["events"]], data


def post_move(client, **body):
    return client.post(MOVE, json=body, headers={"X-CSRFToken": client.csrf, "Accept": "application/json"})


@pytest.fixture
def week(db):
    """Two sessions booking the same room and trainer on Monday 10 May 2027 at overlapping hours, a
    third elsewhere on Tuesday, a draft, and a cancelled session."""
    location = factories.make_location(name="Campus Lyon")
    room = location.rooms[0]
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    other_trainer = factories.make_trainer(first_name="Paul", last_name="Durand")
    first = factories.make_session(label="Management", publication=Publication.PUBLISHED)
    second = factories.make_session(label="Prise de parole", publication=Publication.DRAFT)
    third = factories.make_session(label="Excel", publication=Publication.PUBLISHED)
    cancelled = factories.make_session(label="Annulée", status=WorkflowStatus.CANCELLED)
    a = factories.make_slot(
        factories.make_sequence(first), days=[date(2027, 5, 10)], location=location, room=room
    )
    b = factories.make_slot(
        factories.make_sequence(second), days=[date(2027, 5, 10)], location=location, room=room
    )
    b.dates[0].start_time, b.dates[0].end_time, b.dates[0].break_minutes = time(14), time(18), 0
    c = factories.make_slot(factories.make_sequence(third), days=[date(2027, 5, 11)])
    d = factories.make_slot(
        factories.make_sequence(cancelled), days=[date(2027, 5, 10)], location=location, room=room
    )
    a.trainers, b.trainers, c.trainers = [trainer], [trainer], [other_trainer]
    # Hours and trainers were set by hand after the slots were saved: copy them as a save would.
    refresh_date_state()
    return {
        "location": location,
        "room": room,
        "trainer": trainer,
        "other_trainer": other_trainer,
        "sessions": (first, second, third, cancelled),
        "slots": (a, b, c, d),
    }


def test_the_menu_leads_to_the_calendar_for_every_role(login_as, week):
    for role in Role:
        client = login_as(role)
        page = unescape(client.get("/admin/calendar/").get_data(as_text=True))
        assert re.search(r'<a[^>]*href="/admin/calendar/"[^>]*>\s*Planning\s*</a>', page), role
        assert (
            "vendor/fullcalendar/index.global.min.js" in page
            and "vendor/fullcalendar/fr.global.min.js" in page
        )
        assert ('id="calendar-read-only"' in page) == (role == Role.VIEWER)
        assert "Motif de la modification" in page and "Ne pas envoyer de mise à jour" in page


def test_the_json_of_a_week(manager, week):
    rows, data = events(manager)
    first, second, third, _ = week["sessions"]
    assert [(row["day"], row["start"], row["end"], row["code"]) for row in rows] == [
        ("2027-05-10", "09:00", "17:00", first.code),
        ("2027-05-10", "14:00", "18:00", second.code),
        ("2027-05-11", "09:00", "17:00", third.code),
    ]
    monday, monday_draft, tuesday = rows
    assert (
        monday["flags"] & 8 and monday["flags"] & 16 and monday_draft["flags"] & 8
    )  # room and trainer clash
    assert monday["trainer_clashes"] == "Claire Martin" and monday["room"].startswith(week["room"].name)
    assert monday_draft["flags"] & 1 and not monday["flags"] & 1  # the draft
    assert tuesday["flags"] == 0 and tuesday["trainers"] == "Paul Durand"
    assert data["trainings"][str(first.training_id)] == first.training.name
    assert monday["session"] == first.id and monday["sequence"] == week["slots"][0].sequence_id


def test_the_filters(manager, week):
    first, second, third, cancelled = week["sessions"]

    def codes(**params):
        return [row["code"] for row in events(manager, **params)[0]]

    assert codes(trainer=week["other_trainer"].id) == [third.code]
    assert codes(room=week["room"].id) == [first.code, second.code]
    assert codes(location=week["location"].id) == [first.code, second.code]
    assert codes(training=third.training_id) == [third.code]
    assert codes(publication="draft") == [second.code]
    assert codes(status="created") == [first.code, second.code, third.code]
    # cancelled sessions: left out unless asked for, then struck through (flag 2), never a clash
    with_cancelled = events(manager, cancelled="1")[0]
    assert [row["code"] for row in with_cancelled] == [first.code, cancelled.code, second.code, third.code]
    assert with_cancelled[1]["flags"] & 2 and not with_cancelled[1]["flags"] & 8
    assert codes(status="cancelled") == [cancelled.code]


def test_a_cancelled_sequence_is_no_clash(db, manager, week):
    sequence = week["slots"][1].sequence
    cancelled = {"label": sequence.label, "status": SequenceStatus.CANCELLED}
    save_sequence(sequence.session, cancelled, None, sequence=sequence)
    rows = events(manager)[0]
    assert [row["flags"] & 8 for row in rows] == [0, 0]


def test_the_json_is_one_statement(manager, week, count_queries):
    chosen = {
        "room": week["room"].id,
        "trainer": week["trainer"].id,
        "training": week["sessions"][0].training_id,
    }
    manager.get(EVENTS, query_string={"start": "2027-05-10", "end": "2027-05-17"})  # the user is cached
    with count_queries() as counter:
        events(manager)
    # The user's load, PostgreSQL's `SET LOCAL jit = off` (driver_sql.without_jit) and the data's one.
    data = [s for s in counter.statements if not s.startswith("SET LOCAL jit")]
    assert [s for s in data if "slot_date" in s] and len(data) <= 2, counter.statements
    with count_queries() as filtered:
        rows = events(manager, **chosen)[0]
    assert [row["code"] for row in rows] == [week["sessions"][0].code]
    assert len(filtered.statements) == len(counter.statements), [s[:80] for s in filtered.statements]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start": "", "end": "2027-05-17"}, "start"),
        ({"start": "demain", "end": "2027-05-17"}, "start"),
        ({"start": "2027-05-10", "end": "2027-13-40"}, "end"),
        ({"start": "2027-05-17", "end": "2027-05-10"}, "end"),
        ({"start": "2027-01-01", "end": "2027-06-01"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"start": "2027-05-10", "end": "2027-05-17", "room": "abc"}, "room"),
        ({"start": "2027-05-10", "end": "2027-05-17", "room": "99999999"}, "room"),
        ({"start": "2027-05-10", "end": "2027-05-17", "trainer": "99999999"}, "trainer"),
        ({"start": "2027-05-10", "end": "2027-05-17", "status": "perdu"}, "status"),
        ({"start": "2027-05-10", "end": "2027-05-17", "publication": "x"}, "publication"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(viewer, week, params, field):
    response = viewer.get(EVENTS, query_string=params)
    assert response.status_code == 400
    answer = response.get_json()
    assert field in answer["errors"] and answer["error"]


def test_the_range_is_capped_at_62_days(viewer, week):
    assert viewer.get(EVENTS, query_string={"start": "2027-05-01", "end": "2027-07-02"}).status_code == 200
    refused = viewer.get(EVENTS, query_string={"start": "2027-05-01", "end": "2027-07-03"})
    assert refused.status_code == 400 and "62" in refused.get_json()["error"]


def test_fullcalendar_s_own_range_parameters_are_read(viewer, week):
    response = viewer.get(
        EVENTS, query_string={"start": "2027-05-10T00:00:00Z", "end": "2027-05-17T00:00:00Z"}
    )
    assert response.status_code == 200 and len(response.get_json()["events"]) == 3


def test_a_manager_moves_a_date(manager, week):
    slot = week["slots"][2]
    answer = post_move(manager, slot_date=slot.dates[0].id, day="2027-05-12", start="10:00", end="16:00")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["message"] == "Créneau déplacé au 12/05/2027, 10:00–16:00."
    assert [(d.day, d.start_time, d.end_time) for d in slot.dates] == [
        (date(2027, 5, 12), time(10), time(16))
    ]


def test_a_move_onto_a_booked_room_is_refused_with_the_services_words(manager, week):
    slot = week["slots"][1]
    answer = post_move(manager, slot_date=slot.dates[0].id, day="2027-05-10", start="10:00", end="12:00")
    assert answer.status_code == 422
    refusal = answer.get_json()
    assert "est déjà réservée le 10/05/2027" in refusal["error"] and refusal["may_override"] is False
    assert slot.dates[0].start_time == time(14)


def test_an_operations_manager_may_override_a_booked_room(db, ops_manager, week):
    slot = week["slots"][2]
    slot.location, slot.room = week["location"], week["room"]
    db.session.flush()
    move = {"slot_date": slot.dates[0].id, "day": "2027-05-10", "start": "09:00", "end": "12:00"}
    refused = post_move(ops_manager, **move).get_json()
    assert refused["may_override"] is True, refused
    answer = post_move(ops_manager, **move, override_reason="Salle partagée")
    assert answer.status_code == 200 and answer.get_json()["warnings"]


def test_the_lock_after_enrolment(login_as, week):
    slot = week["slots"][2]
    factories.enrol(slot.sequence.session)
    move = {"slot_date": slot.dates[0].id, "day": "2027-05-12", "start": "09:00", "end": "17:00"}
    assert post_move(login_as(Role.MANAGER), **move).status_code == 403
    ops = login_as(Role.OPS_MANAGER)
    refused = post_move(ops, **move)
    assert refused.status_code == 422 and refused.get_json()["need_reason"] is True
    assert post_move(ops, **move, change_reason="Report", no_calendar_update=True).status_code == 200
    assert slot.dates[0].day == date(2027, 5, 12)


def test_a_viewer_cannot_move_and_nobody_without_the_csrf_token(viewer, manager, week):
    slot = week["slots"][2]
    move = {"slot_date": slot.dates[0].id, "day": "2027-05-12", "start": "09:00", "end": "17:00"}
    assert post_move(viewer, **move).status_code == 403
    assert manager.post(MOVE, json=move).status_code == 400
    assert slot.dates[0].day == date(2027, 5, 11)


@pytest.mark.parametrize(
    "body",
    [
        "{",
        "[]",
        '{"slot_date": "x", "day": "2027-05-12", "start": "09:00", "end": "17:00"}',
        '{"slot_date": 1, "day": "demain", "start": "09:00", "end": "17:00"}',
        '{"slot_date": 1, "day": "2027-05-12", "start": "25:00", "end": "17:00"}',
        '{"slot_date": 99999999, "day": "2027-05-12", "start": "09:00", "end": "17:00"}',
    ],
)
def test_bad_moves_are_refused_with_a_message(manager, week, body):
    response = manager.post(
        MOVE, data=body, content_type="application/json", headers={"X-CSRFToken": manager.csrf}
    )
    assert 400 <= response.status_code < 500 and response.get_json()["error"]


def test_the_room_table_shows_the_occupation_rate(manager, week):
    page = manager.get(
        "/admin/calendar/resources/",
        query_string={"kind": "rooms", "period": "week", "date": "2027-05-12", "room": week["room"].id},
    ).get_data(as_text=True)
    page = unescape(page)
    # 7 hours (09:00–17:00 less an hour's break) + 4 hours (14:00–18:00) over 5 working days × 7 hours
    row = re.search(rf'<tr data-resource="{week["room"].id}">(.*?)</tr>', page, re.S).group(1)
    assert 'data-rate="31"' in row and "31 %" in row and "11,0 h sur 35 h" in row
    assert "Conflit" in row  # the two bookings of Monday overlap
    assert "5 jours ouvrés" in page and "7 heures" in page


def test_public_holidays_are_not_available_hours(app, manager, week, monkeypatch):
    """The week of Ascension 2027 (Thursday 6 May) has four working days in France; without a
    country of holidays (TRAINADMIN_HOLIDAYS empty) it has five."""
    query = {"kind": "rooms", "period": "week", "date": "2027-05-05", "room": week["room"].id}
    page = unescape(manager.get("/admin/calendar/resources/", query_string=query).get_data(as_text=True))
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    ascension = r'<th scope="col" class="ta-holiday" title="Ascension">.*?jeu\. 06/05.*?Férié'
    assert re.search(ascension, head, re.S)
    assert "4 jours ouvrés" in page and "1 jour férié" in page and "= 28 heures" in page
    row = re.search(rf'<tr data-resource="{week["room"].id}">(.*?)</tr>', page, re.S).group(1)
    assert "0,0 h sur 28 h" in row

    monkeypatch.setitem(app.config, "TRAINADMIN_HOLIDAYS", "")
    page = unescape(manager.get("/admin/calendar/resources/", query_string=query).get_data(as_text=True))
    assert "5 jours ouvrés" in page and "Férié" not in page and "= 35 heures" in page


def test_the_holidays_of_a_region_and_in_english(app, manager_en, week, monkeypatch):
    """Moselle (FR-57) also has Saint Stephen's Day (Saturday 26 December 2026: no working day less
    than Christmas, on the Friday); an English-speaking user reads the names in English."""
    monkeypatch.setitem(app.config, "TRAINADMIN_HOLIDAYS", "FR-57")
    query = {"kind": "trainers", "period": "week", "date": "2026-12-23"}
    page = unescape(manager_en.get("/admin/calendar/resources/", query_string=query).get_data(as_text=True))
    assert "Christmas Day" in page and "Saint Stephen" in page and "Public holiday" in page
    assert "4 working days" in page and "1 public holiday" in page


def test_the_trainer_table(manager, week):
    page = unescape(
        manager.get(
            "/admin/calendar/resources/",
            query_string={"kind": "trainers", "period": "month", "date": "2027-05-12"},
        ).get_data(as_text=True)
    )
    claire = re.search(rf'<tr data-resource="{week["trainer"].id}">(.*?)</tr>', page, re.S).group(1)
    assert "Claire Martin" in claire and "11,0 h" in claire
    assert 'id="resource-table"' in page and "Par formateur" in page


def test_a_crowded_day_sends_its_first_dates_and_says_how_many_more(manager, week):
    rows, data = events(manager, per_day="1")
    first, _second, third, _ = week["sessions"]
    assert [row["code"] for row in rows] == [first.code, third.code]
    assert data["more"] == {"2027-05-10": 1}
    assert rows[0]["flags"] & 8  # the clash still counts the date left out
    assert events(manager)[1]["more"] == {}
    for wrong in ("0", "x", "100000"):
        refused = manager.get(
            EVENTS, query_string={"start": "2027-05-10", "end": "2027-05-17", "per_day": wrong}
        )
        assert refused.status_code == 400 and "per_day" in refused.get_json()["errors"]


def test_the_calendar_speaks_the_users_language(admin, manager_en, week):
    french = admin.get("/admin/calendar/").get_data(as_text=True)
    english = manager_en.get("/admin/calendar/").get_data(as_text=True)
    assert '"locale": "fr"' in french and "+%(num)s autres" in french
    assert '"locale": "en"' in english and "+%(num)s more" in english
    assert re.search(r'href="/admin/calendar/"[^>]*>\s*Calendar\s*<', english)


@pytest.mark.parametrize(
    "body",
    [
        {"slot_date": [1], "day": 20270512, "start": 9, "end": None},
        {"slot_date": {"a": 1}, "day": ["2027-05-12"], "start": "09:00", "end": "17:00"},
        {"slot_date": "real", "day": "2027-05-12", "start": "09:00", "end": "17:00", "change_reason": ["x"]},
        {"slot_date": "real", "day": "2027-05-12", "start": "09:00", "end": "17:00", "override_reason": 3},
    ],
)
def test_moves_of_the_wrong_types_get_a_message(manager, week, body):
    if body["slot_date"] == "real":  # a date that exists: the wrong type is elsewhere
        body = {**body, "slot_date": week["slots"][0].dates[0].id}
    response = post_move(manager, **body)
    assert 400 <= response.status_code < 500 and response.get_json()["error"]


def test_the_pages_read_bad_parameters_without_failing(viewer, week):
    page = viewer.get("/admin/calendar/?room=abc&status=perdu&date=hier&view=<script>")
    assert page.status_code == 200
    text = unescape(page.get_data(as_text=True))
    assert (
        "Choisissez une valeur dans la liste." in text and "<script>" not in text.split("calendar-config")[1]
    )
    for query in (
        "kind=x&period=y&date=zz&trainer=-1",
        "kind=rooms&period=month&date=2999-12-31",
        "kind=trainers&period=week&date=1900-01-01&status=x",
    ):
        assert viewer.get(f"/admin/calendar/resources/?{query}").status_code == 200, query


def test_a_co_trainer_clashes_like_a_trainer_and_never_with_their_own_date(db, manager, week):
    third = week["slots"][2]  # Tuesday, Paul Durand
    third.co_trainer = week["other_trainer"]  # Paul also co-trainer of his own slot: no clash
    refresh_date_state()
    assert [row["flags"] & 16 for row in events(manager)[0] if row["day"] == "2027-05-11"] == [0]
    other = factories.make_slot(days=[date(2027, 5, 11)])
    other.dates[0].start_time, other.dates[0].end_time = time(16), time(18)
    other.co_trainer = week["other_trainer"]
    refresh_date_state()
    tuesday = [row for row in events(manager)[0] if row["day"] == "2027-05-11"]
    assert [row["flags"] & 16 for row in tuesday] == [16, 16]
    assert [row["trainer_clashes"] for row in tuesday] == ["Paul Durand", "Paul Durand"]


def test_touching_hours_do_not_clash_and_a_date_inside_another_does(db, manager, week):
    location = factories.make_location()
    room = location.rooms[0]

    def booked(day, start, end):
        slot = factories.make_slot(days=[day], location=location, room=room)
        slot.dates[0].start_time, slot.dates[0].end_time, slot.dates[0].break_minutes = start, end, 0
        return slot

    booked(date(2027, 5, 13), time(9), time(12))
    booked(date(2027, 5, 13), time(12), time(17))
    booked(date(2027, 5, 14), time(8), time(18))
    booked(date(2027, 5, 14), time(9), time(10))
    booked(date(2027, 5, 14), time(15), time(16))
    db.session.flush()
    rows = events(manager, room=room.id)[0]
    assert [(row["day"], row["start"], bool(row["flags"] & 8)) for row in rows] == [
        ("2027-05-13", "09:00", False),
        ("2027-05-13", "12:00", False),
        ("2027-05-14", "08:00", True),
        ("2027-05-14", "09:00", True),
        ("2027-05-14", "15:00", True),
    ]
