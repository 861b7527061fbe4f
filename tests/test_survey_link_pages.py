"""A participant's survey page over HTTP (/l/<token>, no account): the questions with their scores,
one answer (then « Vous avez déjà répondu, merci »), a missing score refused next to its question
with nothing saved, refused tokens, a GET that changes nothing, anonymous answers, the « Évaluation »
tab's results, one door for the write and hostile input that never gives a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from hypothesis import given
from hypothesis import strategies as st

from trainadmin.models import AccessLink, LinkPurpose, Role, SurveyKind, SurveyResponse
from trainadmin.models.types import utcnow
from trainadmin.services import links
from trainadmin.services.evaluations import survey_link

from . import factories
from .conftest import CSRF_RE, count_rows
from .hostile_support import FORM_SETTINGS, checksum, field_names, hostile_text, submit
from .test_one_door import guarded

QUESTIONS = "Clarté des explications\nUtilité au poste\nRythme, durée"
ALREADY = "Vous avez déjà répondu, merci."


def fr(text: str, **variables) -> str:
    with force_locale("fr"):
        return gettext(text, **variables)


def scores(**values) -> dict:
    chosen = {"Clarté des explications": "4", "Utilité au poste": "5", "Rythme, durée": "3"}
    return {f"score:{question}": value for question, value in {**chosen, **values}.items()}


@pytest.fixture
def survey(db):
    """A session with its evaluation, a sequence and two participants, and Ana's hot survey link."""
    evaluation = factories.make_named(factories.Evaluation, questions=QUESTIONS)
    session = factories.make_session(evaluation=evaluation, label="Management d'équipe")
    sequence = factories.make_sequence(session, label="Jour 1")
    ana = factories.enrol(session, factories.make_collaborator(first_name="Ana", last_name="Lopez"))
    bob = factories.enrol(session, factories.make_collaborator(first_name="Bob", last_name="Martin"))
    url = survey_link(ana, SurveyKind.HOT, sequence)
    return {"session": session, "sequence": sequence, "ana": ana, "bob": bob, "path": path_of(url)}


def path_of(url: str) -> str:
    return urlsplit(url).path


def page(client, path: str):
    response = client.get(path)
    return response, response.get_data(as_text=True)


def post(client, path: str, data: dict, token: str | None = None):
    if token is None:
        match = CSRF_RE.search(client.get(path).get_data(as_text=True))
        token = match.group(1) or match.group(2)
    return client.post(path, data={"csrf_token": token, **data})


def text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no #{element_id}"
    return unescape(re.sub(r"\s+", " ", match.group(1)).strip())


# --- Answering -----------------------------------------------------------------------------------


def test_the_page_shows_each_question_with_its_five_scores_and_changes_nothing(app, db, survey):
    client = app.test_client()
    before = checksum(AccessLink, SurveyResponse)
    response, html = page(client, survey["path"])

    assert response.status_code == 200
    assert text(html, "survey-title") == "Enquête à chaud"
    assert text(html, "survey-subject") == "« Management d'équipe » — Jour 1"
    for number, question in enumerate(QUESTIONS.splitlines(), 1):
        fieldset = html.split(f'id="question-{number}"')[1].split("</fieldset>")[0]
        assert f"<legend>{question}</legend>" in unescape(fieldset)
        assert re.findall(r'type="radio"[^>]*value="(\d)"', fieldset) == ["1", "2", "3", "4", "5"]
    assert 'name="comment"' in html and 'name="csrf_token"' in html
    assert 'id="survey-anonymous"' not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert checksum(AccessLink, SurveyResponse) == before  # a GET changes nothing, even opened twice
    page(client, survey["path"])
    assert checksum(AccessLink, SurveyResponse) == before


def test_an_answer_is_saved_once_then_the_link_says_already_answered(app, db, survey):
    client = app.test_client()
    sent = post(client, survey["path"], {**scores(), "comment": "  Très concret.  "})

    assert sent.status_code == 303 and sent.headers["Location"].endswith(survey["path"])
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert text(thanks, "survey-done") == "Merci : vos réponses sont enregistrées."
    response = db.session.scalars(sa.select(SurveyResponse)).one()
    assert (response.request_id, response.kind, response.sequence_id, response.comment) == (
        survey["ana"].id,
        SurveyKind.HOT,
        survey["sequence"].id,
        "Très concret.",
    )
    assert response.answers == {"Clarté des explications": 4, "Utilité au poste": 5, "Rythme, durée": 3}

    again, html = page(client, survey["path"])  # the link opened again later
    assert again.status_code == 200 and text(html, "survey-done") == ALREADY
    twice = post(client, survey["path"], scores(**{"Clarté des explications": "1"}), token=_csrf(client))
    assert twice.status_code == 200 and text(twice.get_data(as_text=True), "survey-done") == ALREADY
    assert count_rows(db, SurveyResponse) == 1


def _csrf(client) -> str:
    """A CSRF token of the client's session (the survey page no longer shows a form)."""
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    return match.group(1) or match.group(2)


def test_a_missing_score_is_refused_next_to_its_question_and_nothing_is_saved(app, db, survey):
    client = app.test_client()
    before = checksum(AccessLink, SurveyResponse)
    data = {**scores(), "comment": "Je reviendrai"}
    del data["score:Utilité au poste"]
    data["score:Rythme, durée"] = "9"

    response = post(client, survey["path"], data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422  # (not counted as a refused link by the rate limit)
    message = fr("Choose a score from %(min)s to %(max)s for this question.", min=1, max=5)
    assert text(html, "error-2") == message and text(html, "error-3") == message
    assert 'id="error-1"' not in html
    second = html.split('id="question-2"')[1].split("</fieldset>")[0]
    assert 'id="error-2"' in second and 'aria-describedby="error-2"' in second
    assert text(html, "survey-errors").startswith("Rien n'a été enregistré")
    first = html.split('id="question-1"')[1].split("</fieldset>")[0]
    assert re.search(r'value="4"[^>]*checked', first)  # what was chosen is kept
    assert "Je reviendrai</textarea>" in html
    assert checksum(AccessLink, SurveyResponse) == before
    assert post(client, survey["path"], scores()).status_code == 303  # the link still works


def test_sending_an_incomplete_form_again_and_again_is_not_taken_for_guessing_tokens(app, db, survey):
    """Refused links count against an address's strict limit, which a company's learners behind
    one address share: a form sent back to be completed is not a refused link."""
    app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "3/hour"
    try:
        client = app.test_client()
        token = _csrf(client)
        statuses = [
            post(client, survey["path"], scores(**{"Rythme, durée": ""}), token).status_code for _ in range(5)
        ]
        assert statuses == [422] * 5
        assert post(client, survey["path"], scores(), token).status_code == 303
    finally:
        app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "20/hour"


def test_an_anonymous_evaluation_keeps_the_answer_without_the_person(app, db, survey):
    survey["session"].evaluation.anonymous = True
    db.session.flush()
    client = app.test_client()
    _response, html = page(client, survey["path"])
    assert (
        text(html, "survey-anonymous")
        == "Vos réponses sont anonymes : elles sont enregistrées sans votre nom."
    )
    assert post(client, survey["path"], {**scores(), "comment": "Anonyme"}).status_code == 303
    response = db.session.scalars(sa.select(SurveyResponse)).one()
    assert response.request_id is None and response.comment == "Anonyme"


# --- Refused links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token[:-1],
        lambda token: token + "A",
        lambda token: token.upper(),
    ],
)
def test_a_tampered_token_opens_nothing(app, db, survey, change):
    client = app.test_client()
    token = survey["path"].removeprefix("/l/")
    tampered = f"/l/{change(token)}"
    response, html = page(client, tampered)
    assert response.status_code == 404 and 'data-refusal="unknown"' in html
    assert post(client, tampered, scores(), token=_csrf(client)).status_code == 404
    assert count_rows(db, SurveyResponse) == 0


def test_expired_and_replaced_links_are_refused_with_their_reason(app, db, survey):
    client = app.test_client()
    expired = survey_link(
        survey["bob"], SurveyKind.HOT, survey["sequence"], now=utcnow() - timedelta(days=61)
    )
    response, html = page(client, path_of(expired))
    assert response.status_code == 410 and 'data-refusal="expired"' in html
    assert fr("This link has expired. Ask the training department for a new one.") in unescape(html)

    survey_link(survey["ana"], SurveyKind.HOT, survey["sequence"])  # a newer link replaces Ana's
    response, html = page(client, survey["path"])
    assert response.status_code == 410 and 'data-refusal="revoked"' in html
    assert post(client, survey["path"], scores(), token=_csrf(client)).status_code == 410
    assert count_rows(db, SurveyResponse) == 0


def test_a_replaced_link_of_a_survey_answered_says_already_answered(app, db, survey):
    client = app.test_client()
    newer = path_of(survey_link(survey["ana"], SurveyKind.HOT, survey["sequence"]))
    sent = post(client, newer, scores())
    assert sent.status_code == 303
    client.get(sent.headers["Location"])  # « Merci »
    _response, html = page(client, survey["path"])  # the first e-mail's link, opened afterwards
    assert text(html, "survey-done") == ALREADY


def test_a_token_of_another_purpose_shows_no_survey(app, db, survey):
    _link, token = links.issue(LinkPurpose.MANAGER_DECISION, "chef@example.com", request_id=survey["ana"].id)
    client = app.test_client()
    _response, html = page(client, f"/l/{token}")
    assert 'id="survey-form"' not in html
    assert post(client, f"/l/{token}", scores(), token=_csrf(client)).status_code < 500
    assert count_rows(db, SurveyResponse) == 0
    assert page(client, survey["path"] + "/anything")[0].status_code == 404  # a survey link has one page


def test_a_cancelled_enrolment_closes_the_survey(app, db, survey):
    from trainadmin.models import RequestStatus

    survey["ana"].status = RequestStatus.CANCELLED
    db.session.flush()
    client = app.test_client()
    response, html = page(client, survey["path"])
    assert response.status_code == 410 and 'data-refusal="closed"' in html
    assert fr("This survey is no longer open: you are not enrolled in this session.") in unescape(html)


def test_the_post_needs_its_csrf_token(app, db, survey):
    response = app.test_client().post(survey["path"], data=scores())
    assert response.status_code == 400 and count_rows(db, SurveyResponse) == 0


# --- What the staff see ----------------------------------------------------------------------------


def test_the_evaluation_tab_shows_the_response_rate_averages_and_comments(app, db, survey, login_as):
    client = app.test_client()
    post(client, survey["path"], {**scores(), "comment": "Très concret."})
    survey_link(survey["bob"], SurveyKind.HOT, survey["sequence"])  # Bob has not answered
    admin = login_as(Role.ADMIN)

    html = admin.get(f"/admin/sessions/details/?id={survey['session'].id}&tab=evaluation").get_data(
        as_text=True
    )

    results = unescape(html.split('id="evaluation-results"')[1])
    section = results.split('class="survey-results')[1]
    assert 'data-kind="hot"' in section and "Enquête à chaud — Jour 1" in section
    rate = re.sub(r"[ \n]+", " ", section.split('class="survey-rate mb-2">')[1].split("</p>")[0])
    assert rate == "Taux de réponse : 50\u00a0% — 1 sur 2 participants ayant reçu l'enquête"
    averages = re.findall(r"<tr><td>(.*?)</td><td class=\"text-right\">(.*?)</td></tr>", section)
    assert averages == [
        ("Clarté des explications", "4"),
        ("Utilité au poste", "5"),
        ("Rythme, durée", "3"),
    ]
    assert "Très concret." in section and "— Ana Lopez" in section


def test_the_evaluation_tab_shows_anonymous_comments_without_names(app, db, survey, login_as):
    survey["session"].evaluation.anonymous = True
    db.session.flush()
    post(app.test_client(), survey["path"], {**scores(), "comment": "Sans nom"})
    html = login_as(Role.VIEWER).get(f"/admin/sessions/details/?id={survey['session'].id}&tab=evaluation")
    results = unescape(html.get_data(as_text=True).split('id="evaluation-results"')[1])
    assert "Sans nom" in results and "Ana" not in results and "Lopez" not in results
    assert "anonyme" in results


# --- One door, hostile input ---------------------------------------------------------------------


def test_the_answer_is_written_by_its_service(app, db, survey):
    client = app.test_client()
    token = _csrf(client)
    with guarded() as violations:
        response = post(client, survey["path"], {**scores(), "comment": "Bien"}, token=token)
    assert response.status_code == 303 and violations == []
    assert count_rows(db, SurveyResponse) == 1


@FORM_SETTINGS
@given(data=st.data())
def test_hostile_input_is_never_a_server_error(app, db, survey, data):
    limits = {key: app.config[key] for key in ("TRAINADMIN_LINK_LIMIT", "TRAINADMIN_LINK_FAILURE_LIMIT")}
    app.config.update(dict.fromkeys(limits, "100000/minute"))
    try:
        client = app.test_client()
        participant = factories.enrol(survey["session"])  # a link not answered yet, each time
        path = path_of(survey_link(participant, SurveyKind.HOT, survey["sequence"]))
        html = client.get(path).get_data(as_text=True)
        client.csrf = CSRF_RE.search(html).group(1)
        names = field_names(html) + ["score:Question inventée"]
        values = {
            **scores(),
            **data.draw(st.dictionaries(st.sampled_from(sorted(names)), hostile_text, max_size=4)),
        }
        response, was_refused = submit(client, path, values, "survey link", "survey_response", "access_link")
        if not was_refused:
            assert response.status_code in (200, 303)
    finally:
        app.config.update(limits)
