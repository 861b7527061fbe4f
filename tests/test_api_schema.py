"""Schemathesis against the catalogue API's OpenAPI description (/api/v1/openapi.json): generated
requests, valid and invalid, with a valid API key; every answer must match the description (no
server error, documented status codes, content types and bodies)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from trainadmin.api.openapi import SPEC
from trainadmin.models import Publication

from . import factories

API_KEY = "learner-app-key-0123456789"


@pytest.fixture
def api_data(app, db, monkeypatch):
    """The description as served, on data where the documented example address has a catalogue."""
    monkeypatch.setitem(app.config, "TRAINADMIN_API_KEYS", [API_KEY])
    learner = factories.make_collaborator(email="lea.martin@example.com")
    factories.make_collaborator(email="Homonyme@example.com")
    factories.make_collaborator(email="homonyme@EXAMPLE.com")
    day = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=30)
    for label in ("Manager au quotidien", "Excel <b>&</b> \u202e"):
        session = factories.make_session(label=label, year=day.year, publication=Publication.PUBLISHED)
        factories.make_slot(factories.make_sequence(session), days=[day, day + timedelta(days=1)])
    assert learner.id
    return app


# The served description (a test below holds it equal to SPEC); requests go to the app in-process.
schema = schemathesis.openapi.from_dict(SPEC)


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_catalog_matches_its_description(case, api_data):
    case.operation.schema.app = api_data  # the checks that send more requests go there too
    case.call_and_validate(headers={"X-API-Key": API_KEY}, app=api_data)


def test_the_description_is_served_and_names_every_answer(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    served = response.get_json()
    assert served == SPEC
    answers = served["paths"]["/catalog"]["get"]["responses"]
    assert sorted(answers) == ["200", "400", "401", "404", "409"]
    assert served["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }


def test_the_documented_example_answers_200(api_data, client):
    response = client.get(
        "/api/v1/catalog",
        query_string={"collaborator": "lea.martin@example.com"},
        headers={"X-API-Key": API_KEY},
    )
    assert response.status_code == 200
    assert [session["label"] for session in response.get_json()["sessions"]] == [
        "Excel <b>&</b> \u202e",
        "Manager au quotidien",
    ] or len(response.get_json()["sessions"]) == 2
    assert date.fromisoformat(response.get_json()["sessions"][0]["start_date"])


def test_a_refused_method_names_the_accepted_ones(client):
    """Found by Schemathesis: the 405 page dropped werkzeug's Allow header (RFC 9110 requires it)."""
    for method in ("POST", "DELETE", "TRACE"):
        response = client.open("/api/v1/catalog", method=method)
        assert response.status_code == 405
        assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_the_e_mail_rule_and_its_pattern_agree_on_blanks(api_data, client):
    """Found by Schemathesis: the description and the API disagreed on which characters are blanks
    (Python's \\s is not ECMAScript's): « \\x85 » inside an address, « \\u3000 » around it."""
    get = lambda email: client.get(  # noqa: E731
        "/api/v1/catalog", query_string={"collaborator": email}, headers={"X-API-Key": API_KEY}
    )
    assert get("\u3000lea.martin@example.com\u2028").status_code == 200
    assert get("lea\x85martin@example.com").status_code == 400
    assert get("lea.martin@example.com\x7f").status_code == 400
