"""The learner catalogue API: API key, parameters, the « Population » and draft rules, the shape of
the answer, pagination and a constant number of SQL queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from trainadmin.api import catalog as catalog_api
from trainadmin.models import (
    Population,
    Publication,
    SessionType,
    TeachingMode,
    TrainingSession,
    WorkflowStatus,
)
from trainadmin.services.planning import dates as planning
from trainadmin.services.sessions.visibility import catalog_query, is_visible_to

from .factories import (
    make_collaborator,
    make_location,
    make_named,
    make_room,
    make_sequence,
    make_session,
    make_slot,
    make_trainer,
    make_training,
)

API_KEY = "learner-app-key-0123456789"
URL = "/api/v1/catalog"


def local_today(zone: str = "Europe/Paris") -> date:
    return datetime.now(ZoneInfo(zone)).date()


@pytest.fixture
def api(app, db, client, monkeypatch):
    """get(**params) -> response, with a valid API key."""
    monkeypatch.setitem(app.config, "TRAINADMIN_API_KEYS", ["other-app-key-0123456789", API_KEY])

    def get(headers=None, **params):
        return client.get(URL, query_string=params, headers={"X-API-Key": API_KEY, **(headers or {})})

    return get


def published(day: date | None = None, populations=(), **kw):
    """A session, published unless told, with one sequence and one slot on `day` (default: in a month)."""
    day = day or local_today() + timedelta(days=30)
    kw.setdefault("publication", Publication.PUBLISHED)
    session = make_session(year=day.year, **kw)
    make_slot(make_sequence(session), days=[day])
    session.populations.extend(populations)
    return session


def codes(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [session["code"] for session in response.get_json()["sessions"]]


# --- authentication ------------------------------------------------------------------------------


def test_without_key_or_with_a_wrong_key_the_answer_is_401(app, db, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINADMIN_API_KEYS", [API_KEY])
    collaborator = make_collaborator()
    url = f"{URL}?collaborator={collaborator.email}"
    for headers in (
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "wrong-key-0123456789"},
        {"X-API-Key": "clé-inconnue-0123456789"},
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 401
        assert "API key" in response.get_json()["error"]
    assert client.get(url, headers={"X-API-Key": API_KEY}).status_code == 200


def test_no_key_configured_refuses_every_request(app, db, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINADMIN_API_KEYS", [])
    collaborator = make_collaborator()
    for key in ("", API_KEY):
        response = client.get(f"{URL}?collaborator={collaborator.email}", headers={"X-API-Key": key})
        assert response.status_code == 401
        assert response.get_json()["error"]


# --- parameters ----------------------------------------------------------------------------------


def test_collaborator_is_required(api):
    for params in ({}, {"collaborator": ""}, {"collaborator": "   "}):
        response = api(**params)
        assert response.status_code == 400
        assert "collaborator" in response.get_json()["error"]


def test_unknown_collaborator_is_404(api):
    response = api(collaborator="nobody@example.com")
    assert response.status_code == 404
    assert response.get_json() == {"error": "unknown collaborator: nobody@example.com"}


def test_collaborator_email_is_matched_ignoring_case(api):
    collaborator = make_collaborator(email="Paul.Durand@Example.com")
    session = published()
    response = api(collaborator="  paul.durand@EXAMPLE.com ")
    assert codes(response) == [session.code]
    assert response.get_json()["collaborator"] == collaborator.email


def test_two_collaborators_differing_only_by_case(api):
    make_collaborator(email="twin@example.com")
    make_collaborator(email="Twin@example.com")
    assert api(collaborator="Twin@example.com").get_json()["collaborator"] == "Twin@example.com"
    response = api(collaborator="TWIN@example.com")
    assert response.status_code == 409
    assert "exact" in response.get_json()["error"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page": "1_0"},
        {"page": "١"},
        {"page": ""},
        {"page": "99999999999999999999999"},
        {"page_size": "0"},
        {"page_size": "201"},
        {"page_size": "ten"},
    ],
)
def test_bad_pagination_values_are_400(api, params):
    collaborator = make_collaborator()
    response = api(collaborator=collaborator.email, **params)
    assert response.status_code == 400
    assert next(iter(params)) in response.get_json()["error"]


@pytest.mark.parametrize(
    "value",
    ["not-an-email", "a\x00b@example.com", "x" * 300 + "@example.com", "a@b@c", "<script>@x", "é@ü.fr"],
)
def test_odd_collaborator_values_never_fail(api, value):
    response = api(collaborator=value)
    assert response.status_code in (400, 404)
    assert response.get_json()["error"]


def test_other_methods_are_refused_without_a_server_error(api, client):
    response = client.post(f"{URL}?collaborator=a@example.com", headers={"X-API-Key": API_KEY})
    assert response.status_code == 405


# --- the rule ------------------------------------------------------------------------------------


def test_drafts_never_appear(api):
    population = make_named(Population)
    collaborator = make_collaborator()
    collaborator.populations.append(population)
    visible = published()
    published(publication=Publication.DRAFT)
    published(publication=Publication.DRAFT, populations=[population])
    assert codes(api(collaborator=collaborator.email)) == [visible.code]


def test_cancelled_and_closed_sessions_never_appear(api):
    collaborator = make_collaborator()
    shown = [published(status=status) for status in WorkflowStatus]
    expected = {s.code for s in shown if s.status not in (WorkflowStatus.CANCELLED, WorkflowStatus.CLOSED)}
    assert set(codes(api(collaborator=collaborator.email))) == expected
    assert len(expected) == 3


def test_past_sessions_do_not_appear(api):
    collaborator = make_collaborator()
    today = local_today()
    ended = published(day=today - timedelta(days=1))
    ends_today = published(day=today)
    undated = make_session(publication=Publication.PUBLISHED)
    found = codes(api(collaborator=collaborator.email))
    assert ended.code not in found
    assert found == [ends_today.code, undated.code]  # undated sessions come last


def test_today_is_taken_in_the_configured_time_zone(app, api, monkeypatch):
    """Pago Pago (UTC-11) and Kiritimati (UTC+14) never share a calendar day."""
    collaborator = make_collaborator()
    session = published(day=local_today("Pacific/Pago_Pago"))
    monkeypatch.setitem(app.config, "TRAINADMIN_TZ", "Pacific/Pago_Pago")
    assert codes(api(collaborator=collaborator.email)) == [session.code]
    monkeypatch.setitem(app.config, "TRAINADMIN_TZ", "Pacific/Kiritimati")
    assert codes(api(collaborator=collaborator.email)) == []


def test_population_rules(api, db):
    managers, engineers, sales = (make_named(Population) for _ in range(3))
    for_everyone = published()
    for_two = published(populations=[managers, engineers])
    for_sales = published(populations=[sales])
    engineer = make_collaborator()
    engineer.populations.append(engineers)
    outsider = make_collaborator()
    outsider.populations.append(sales)
    nobody = make_collaborator()
    db.session.flush()

    assert set(codes(api(collaborator=engineer.email))) == {for_everyone.code, for_two.code}
    assert set(codes(api(collaborator=outsider.email))) == {for_everyone.code, for_sales.code}
    assert codes(api(collaborator=nobody.email)) == [for_everyone.code]


def test_a_collaborator_in_both_populations_sees_the_session_once(api, db):
    first, second = make_named(Population), make_named(Population)
    session = published(populations=[first, second])
    collaborator = make_collaborator()
    collaborator.populations.extend([first, second])
    db.session.flush()
    response = api(collaborator=collaborator.email)
    assert codes(response) == [session.code]
    assert response.get_json()["count"] == 1


def test_catalog_query_and_is_visible_to_agree(db):
    today = local_today()
    inside, outside = make_named(Population), make_named(Population)
    sessions = []
    for publication in Publication:
        for status in WorkflowStatus:
            for day in (today - timedelta(days=3), today, today + timedelta(days=9), None):
                for populations in ([], [inside], [outside], [inside, outside]):
                    if day is None:
                        session = make_session(publication=publication, status=status)
                        session.populations.extend(populations)
                    else:
                        session = published(day, populations, publication=publication, status=status)
                    sessions.append(session)
    member, stranger, lonely = make_collaborator(), make_collaborator(), make_collaborator()
    member.populations.append(inside)
    stranger.populations.append(outside)
    db.session.flush()
    ids = [session.id for session in sessions]

    for collaborator in (member, stranger, lonely):
        query = catalog_query(collaborator, today).where(TrainingSession.id.in_(ids))
        in_sql = {session.id for session in db.session.scalars(query)}
        in_python = {session.id for session in sessions if is_visible_to(session, collaborator, today)}
        assert in_sql == in_python
        assert in_sql  # the matrix holds visible sessions for everyone…
        assert len(in_sql) < len(sessions)  # …and hidden ones


# --- the answer ----------------------------------------------------------------------------------


def test_response_shape(api, db):
    day = local_today() + timedelta(days=20)
    population = make_named(Population, name="Managers")
    collaborator = make_collaborator(email="lea.martin@example.com")
    collaborator.populations.append(population)
    training = make_training(name="Management d'équipe")
    session = make_session(
        training=training,
        publication=Publication.PUBLISHED,
        status=WorkflowStatus.CONFIRMED,
        session_type=SessionType.INTER,
        year=day.year,
        label="Manager au quotidien",
        capacity_min=2,
        capacity_target=6,
        capacity_max=10,
        enrolled_count=3,
    )
    session.populations.append(population)
    mode = make_named(TeachingMode, name="Présentiel")
    prework = make_sequence(
        session, label="Lecture préalable", position=0, is_prework=True, url="https://elearn.example.com/p"
    )
    make_slot(prework, days=[day - timedelta(days=7)])
    main = make_sequence(session, label="Atelier", position=1, teaching_mode=mode)
    location = make_location(name="Campus Lyon", address="3 rue de la Paix", postcode="69002", city="Lyon")
    room = make_room(location=location, name="Salle Rhône")
    trainers = [
        make_trainer(first_name="Zoé", last_name="Vidal"),
        make_trainer(first_name="Marc", last_name="Aubert"),
    ]
    slot = make_slot(
        main, days=[day, day + timedelta(days=1)], location=location, room=room, trainers=trainers
    )
    slot.dates[1].start_time, slot.dates[1].end_time, slot.dates[1].break_minutes = time(9, 30), time(12), 0
    planning.refresh_session(session)
    db.session.flush()

    body = api(collaborator="LEA.MARTIN@example.com").get_json()
    assert body == {
        "collaborator": "lea.martin@example.com",
        "count": 1,
        "page": 1,
        "page_size": 50,
        "sessions": [
            {
                "code": session.code,
                "label": "Manager au quotidien",
                "training": "Management d'équipe",
                "session_type": "inter",
                "year": day.year,
                "start_date": (day - timedelta(days=7)).isoformat(),
                "end_date": (day + timedelta(days=1)).isoformat(),
                "duration_days": "2.0",
                "duration_hours": "9.50",
                "capacity_max": 10,
                "enrolled_count": 3,
                "seats_left": 7,
                "populations": ["Managers"],
                "sequences": [
                    {
                        "label": "Lecture préalable",
                        "position": 0,
                        "is_prework": True,
                        "teaching_mode": None,
                        "url": "https://elearn.example.com/p",
                        "status": "planned",
                        "start_date": (day - timedelta(days=7)).isoformat(),
                        "end_date": (day - timedelta(days=7)).isoformat(),
                        "slots": [
                            {
                                "location": None,
                                "room": None,
                                "trainers": [],
                                "dates": [
                                    {
                                        "day": (day - timedelta(days=7)).isoformat(),
                                        "start": "09:00",
                                        "end": "17:00",
                                        "break_minutes": 60,
                                    }
                                ],
                            }
                        ],
                    },
                    {
                        "label": "Atelier",
                        "position": 1,
                        "is_prework": False,
                        "teaching_mode": "Présentiel",
                        "url": None,
                        "status": "planned",
                        "start_date": day.isoformat(),
                        "end_date": (day + timedelta(days=1)).isoformat(),
                        "slots": [
                            {
                                "location": {
                                    "name": "Campus Lyon",
                                    "address": "3 rue de la Paix",
                                    "postcode": "69002",
                                    "city": "Lyon",
                                },
                                "room": "Salle Rhône",
                                "trainers": ["Marc Aubert", "Zoé Vidal"],
                                "dates": [
                                    {
                                        "day": day.isoformat(),
                                        "start": "09:00",
                                        "end": "17:00",
                                        "break_minutes": 60,
                                    },
                                    {
                                        "day": (day + timedelta(days=1)).isoformat(),
                                        "start": "09:30",
                                        "end": "12:00",
                                        "break_minutes": 0,
                                    },
                                ],
                            }
                        ],
                    },
                ],
            }
        ],
    }


def test_seats_left_without_maximum_or_when_full(api):
    collaborator = make_collaborator()
    training = make_training(capacity_min=None, capacity_target=None, capacity_max=None)
    open_ended = published(training=training, label="A open", capacity_max=None)
    overbooked = published(
        label="B full", capacity_min=1, capacity_target=2, capacity_max=2, enrolled_count=3
    )
    sessions = {s["code"]: s for s in api(collaborator=collaborator.email).get_json()["sessions"]}
    assert sessions[open_ended.code]["seats_left"] is None
    assert sessions[overbooked.code]["seats_left"] == 0


def test_sessions_are_ordered_by_start_date_then_code(api):
    collaborator = make_collaborator()
    today = local_today()
    later = published(day=today + timedelta(days=40))
    undated = make_session(publication=Publication.PUBLISHED)
    sooner_a = published(day=today + timedelta(days=10))
    sooner_b = published(day=today + timedelta(days=10))
    assert codes(api(collaborator=collaborator.email)) == [
        *sorted([sooner_a.code, sooner_b.code]),
        later.code,
        undated.code,
    ]


def test_pagination(api):
    collaborator = make_collaborator()
    today = local_today()
    sessions = [published(day=today + timedelta(days=i + 1)) for i in range(5)]
    expected = [session.code for session in sessions]

    first = api(collaborator=collaborator.email, page_size=2)
    assert first.get_json()["count"] == 5
    assert (first.get_json()["page"], first.get_json()["page_size"]) == (1, 2)
    pages = [codes(api(collaborator=collaborator.email, page=p, page_size=2)) for p in (1, 2, 3)]
    assert pages == [expected[0:2], expected[2:4], expected[4:5]]

    beyond = api(collaborator=collaborator.email, page=4, page_size=2)
    assert beyond.get_json()["sessions"] == [] and beyond.get_json()["count"] == 5
    assert codes(api(collaborator=collaborator.email, page_size=200)) == expected


def test_constant_number_of_queries(api, count_queries):
    population = make_named(Population)
    mode = make_named(TeachingMode)
    location = make_location()
    room = make_room(location=location)
    trainer = make_trainer()
    collaborator = make_collaborator()
    collaborator.populations.append(population)
    today = local_today()

    def add_sessions(how_many: int) -> None:
        for i in range(how_many):
            session = published(day=today + timedelta(days=i + 1), populations=[population])
            for position, is_prework in ((1, True), (2, False)):
                sequence = make_sequence(
                    session, position=position, is_prework=is_prework, teaching_mode=mode
                )
                make_slot(
                    sequence,
                    days=[today + timedelta(days=i + 1)],
                    location=location,
                    room=room,
                    trainers=[trainer],
                )

    email = collaborator.email  # read now: each request expires the test's objects
    add_sessions(2)
    with count_queries() as few:
        assert len(codes(api(collaborator=email))) == 2
    add_sessions(10)
    with count_queries() as many:
        assert len(codes(api(collaborator=email))) == 12
    assert few.count == many.count, "\n".join(many.statements)
    assert many.count <= 12


def test_an_unexpected_failure_answers_in_json(app, api, monkeypatch):
    def broken(*args):
        raise RuntimeError("database gone")

    monkeypatch.setattr(catalog_api, "catalog_query", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    collaborator = make_collaborator()
    response = api(collaborator=collaborator.email)
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error"}
