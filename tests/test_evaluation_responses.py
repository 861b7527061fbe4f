"""Evaluation responses entered one by one (« Saisir une réponse ») or imported from a CSV file by the
training staff, and what the results panel of the « Évaluation » tab then shows.

Messages are compared with what a French user reads: `fr(msgid)` goes through the catalogue, so a
message the maintainer has not translated yet is still the one on the page.
"""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext, ngettext

from trainadmin.models import RequestStatus, Role, SurveyKind, SurveyResponse, TrainingRequest
from trainadmin.services.errors import DomainError, ValidationFailed
from trainadmin.services.evaluations import (
    MAX_IMPORT_BYTES,
    MAX_LINE_CHARS,
    ImportRejected,
    add_response,
    import_responses,
    results,
)

from . import factories
from .conftest import count_rows, flashed_errors, post_form

QUESTIONS = "Clarté des explications\nUtilité au poste\nRythme, durée"


def fr(text: str, **variables) -> str:
    with force_locale("fr"):
        return gettext(text, **variables)


def frn(singular: str, plural: str, num: int) -> str:
    with force_locale("fr"):
        return ngettext(singular, plural, num)


def on_line(number: int, text: str, **variables) -> str:
    return fr("Line %(line)s: %(error)s", line=number, error=fr(text, **variables))


def not_a_score(question: str, value: str) -> str:
    return fr(
        "« %(question)s »: « %(value)s » is not a whole number from %(min)s to %(max)s.",
        question=question,
        value=value,
        min=1,
        max=5,
    )


def evaluated_session(enrolled: int = 2, **kw):
    """A session with its evaluation chosen and `enrolled` participants; returns (session, demandes)."""
    evaluation = factories.make_named(factories.Evaluation, questions=QUESTIONS)
    session = factories.make_session(evaluation=evaluation, **kw)
    demandes = [factories.enrol(session) for _ in range(enrolled)]
    return session, demandes


def saved(db) -> list[tuple]:
    return [
        (r.request_id, r.kind, r.answers)
        for r in db.session.scalars(sa.select(SurveyResponse).order_by(SurveyResponse.id))
    ]


# --- The service: entering one response ------------------------------------------------------------


def test_a_response_is_saved_and_counted_in_the_results(any_db):
    session, (first, second) = evaluated_session()
    add_response(session, first.id, "hot", {"Clarté des explications": "4", "Utilité au poste": 5})
    add_response(session, second.id, SurveyKind.HOT, {"Clarté des explications": " 3 ", "Rythme, durée": ""})
    add_response(session, None, "session", {"Utilité au poste": "2"})

    assert saved(any_db) == [
        (first.id, SurveyKind.HOT, {"Clarté des explications": 4, "Utilité au poste": 5}),
        (second.id, SurveyKind.HOT, {"Clarté des explications": 3}),
        (None, SurveyKind.SESSION, {"Utilité au poste": 2}),
    ]
    shown = results(session)
    assert shown.responses == 3
    assert [(q, str(a) if a is not None else None) for q, a in shown.averages] == [
        ("Clarté des explications", "3.5"),
        ("Utilité au poste", "3.5"),
        ("Rythme, durée", None),
    ]
    assert shown.by_kind == [(SurveyKind.HOT, 2), (SurveyKind.SESSION, 1)]


@pytest.mark.parametrize(
    ("scores", "field", "message"),
    [
        ({"Question inventée": "3"}, "score:Question inventée", None),
        ({"Utilité au poste": "6"}, "score:Utilité au poste", not_a_score),
        ({"Utilité au poste": "0"}, "score:Utilité au poste", not_a_score),
        ({"Utilité au poste": "abc"}, "score:Utilité au poste", not_a_score),
        ({"Utilité au poste": "4,5"}, "score:Utilité au poste", not_a_score),
        ({"Utilité au poste": "-1"}, "score:Utilité au poste", not_a_score),
        ({"Utilité au poste": "=1+2"}, "score:Utilité au poste", not_a_score),
        ({"Utilité au poste": "４"}, "score:Utilité au poste", not_a_score),  # a full-width digit
        ({"Utilité au poste": 4.5}, "score:Utilité au poste", not_a_score),
    ],
)
def test_bad_scores_are_refused_and_nothing_is_saved(any_db, scores, field, message):
    session, (demande, _) = evaluated_session()
    with pytest.raises(ValidationFailed) as refused:
        add_response(session, demande.id, "cold", {"Clarté des explications": "4", **scores})
    assert field in refused.value.errors
    if message is not_a_score:
        question, value = next(iter(scores.items()))
        assert refused.value.errors[field] == not_a_score(question, str(value).strip())
    elif message:
        assert refused.value.errors[field] == fr(message)
    assert count_rows(any_db, SurveyResponse) == 0


def test_no_score_at_all_is_refused(any_db):
    session, (demande, _) = evaluated_session()
    with pytest.raises(ValidationFailed) as refused:
        add_response(session, demande.id, "session", {q: "" for q in session.evaluation.question_list})
    assert refused.value.errors == {"score:": fr("Enter at least one score.")}
    assert count_rows(any_db, SurveyResponse) == 0


def test_only_participants_enrolled_in_this_session_answer(any_db):
    session, (demande, _) = evaluated_session()
    other_session, (stranger,) = evaluated_session(enrolled=1)
    waiting = TrainingRequest(
        session=session, collaborator=factories.make_collaborator(), status=RequestStatus.WAITLISTED
    )
    any_db.session.add(waiting)
    any_db.session.flush()
    for request_id in (stranger.id, waiting.id, 999_999):
        with pytest.raises(ValidationFailed) as refused:
            add_response(session, request_id, "session", {"Utilité au poste": "3"})
        assert refused.value.errors == {"request_id": fr("Choose a participant enrolled in this session.")}
    with pytest.raises(ValidationFailed) as refused:
        add_response(session, demande.id, "lukewarm", {"Utilité au poste": "3"})
    assert refused.value.errors == {"kind": fr("Choose the kind of response in the list.")}
    assert count_rows(any_db, SurveyResponse) == 0


def test_a_participant_answers_each_kind_once(any_db):
    session, (demande, _) = evaluated_session()
    add_response(session, demande.id, "hot", {"Utilité au poste": "3"})
    with pytest.raises(ValidationFailed) as refused:
        add_response(session, demande.id, "hot", {"Utilité au poste": "5"})
    assert refused.value.errors == {
        "request_id": fr("%(name)s has already answered the hot survey.", name=demande.collaborator)
    }
    add_response(session, demande.id, "cold", {"Utilité au poste": "4"})
    add_response(session, None, "hot", {"Utilité au poste": "1"})
    add_response(session, None, "hot", {"Utilité au poste": "2"})  # anonymous answers are not duplicates
    assert [(r, k) for r, k, _a in saved(any_db)] == [
        (demande.id, SurveyKind.HOT),
        (demande.id, SurveyKind.COLD),
        (None, SurveyKind.HOT),
        (None, SurveyKind.HOT),
    ]


def test_no_response_without_an_evaluation_or_before_anyone_is_enrolled(any_db):
    without_evaluation = factories.make_session()
    factories.enrol(without_evaluation)
    with pytest.raises(DomainError) as refused:
        add_response(without_evaluation, None, "session", {"Clarté": "3"})
    assert refused.value.message == fr("Choose the evaluation of the session first.")
    nobody, _ = evaluated_session(enrolled=0)
    with pytest.raises(DomainError) as refused:
        add_response(nobody, None, "session", {"Utilité au poste": "3"})
    assert refused.value.message == fr("Responses can be entered once a trainee is enrolled in the session.")
    with pytest.raises(DomainError):
        import_responses(nobody, "Utilité au poste\n3\n")
    assert count_rows(any_db, SurveyResponse) == 0


# --- The service: importing a CSV file ----------------------------------------------------------


def test_import_with_semicolons_a_bom_and_french_types(any_db):
    session, (first, second) = evaluated_session()
    first.collaborator.email = "Alice.Martin@example.com"
    any_db.session.flush()
    content = (
        "\ufeffemail;type;Clarté des explications;Utilité au poste;Rythme, durée\r\n"
        "alice.martin@example.com;Chaud;4;5;3\r\n"
        f"{second.collaborator.email};froid;2;;\r\n"
        ";;5;5;5\r\n"
        "\r\n"
        f"{second.collaborator.email};session;1;1;1\r\n"
    ).encode()
    assert import_responses(session, content) == 4
    assert saved(any_db) == [
        (
            first.id,
            SurveyKind.HOT,
            {"Clarté des explications": 4, "Utilité au poste": 5, "Rythme, durée": 3},
        ),
        (second.id, SurveyKind.COLD, {"Clarté des explications": 2}),
        (None, SurveyKind.SESSION, {"Clarté des explications": 5, "Utilité au poste": 5, "Rythme, durée": 5}),
        (
            second.id,
            SurveyKind.SESSION,
            {"Clarté des explications": 1, "Utilité au poste": 1, "Rythme, durée": 1},
        ),
    ]


def test_import_with_commas_and_only_some_questions(any_db):
    session, (demande, _) = evaluated_session()
    content = (
        f'E-mail,Type,Utilité au poste,"Rythme, durée"\n{demande.collaborator.email},cold,3,4\n,HOT,5,\n'
    )
    assert import_responses(session, content) == 2
    assert saved(any_db) == [
        (demande.id, SurveyKind.COLD, {"Utilité au poste": 3, "Rythme, durée": 4}),
        (None, SurveyKind.HOT, {"Utilité au poste": 5}),
    ]


def test_import_is_all_or_nothing_with_every_problem_named_by_its_line(any_db):
    session, (demande, answered) = evaluated_session()
    add_response(session, answered.id, "hot", {"Utilité au poste": "3"})
    content = "\n".join(
        [
            "email;type;Clarté des explications;Utilité au poste",
            f"{demande.collaborator.email};chaud;4;5",  # fine
            "inconnu@example.com;tiède;9;",
            f"{demande.collaborator.email};hot;3;3",  # twice in the file
            f"{answered.collaborator.email};chaud;2;2",  # already answered
            ";;;",  # blank cells: skipped
            "x;session;1;2;3",
            ";session;;",
        ]
    )
    with pytest.raises(ImportRejected) as refused:
        import_responses(session, content)
    assert refused.value.messages == [
        on_line(3, "%(email)s is not enrolled in this session.", email="inconnu@example.com"),
        on_line(3, "unknown type « %(value)s » (chaud, froid or session).", value="tiède"),
        fr("Line %(line)s: %(error)s", line=3, error=not_a_score("Clarté des explications", "9")),
        on_line(4, "%(name)s has already answered the hot survey.", name=demande.collaborator),
        on_line(5, "%(name)s has already answered the hot survey.", name=answered.collaborator),
        on_line(7, "%(cells)s cells where the first line names %(columns)s columns.", cells=5, columns=4),
        on_line(7, "%(email)s is not enrolled in this session.", email="x"),
        on_line(8, "Enter at least one score."),
    ]
    assert count_rows(any_db, SurveyResponse) == 1  # only the response entered before


@pytest.mark.parametrize(
    ("header", "problem", "variables"),
    [
        (
            "email;Question inventée",
            "the column « %(name)s » is neither email, type nor a question of the evaluation.",
            {"name": "Question inventée"},
        ),
        ("email;type", "no column is headed by a question of the evaluation.", {}),
        (
            "Utilité au poste;utilité au poste",
            "the column « %(name)s » is neither email, type nor a question of the evaluation.",
            {"name": "utilité au poste"},
        ),
        (
            "Utilité au poste;Utilité au poste",
            "the column « %(name)s » appears twice.",
            {"name": "Utilité au poste"},
        ),
    ],
)
def test_import_names_the_columns_it_does_not_know(any_db, header, problem, variables):
    session, _ = evaluated_session()
    with pytest.raises(ImportRejected) as refused:
        import_responses(session, f"{header}\n3;4\n")
    assert on_line(1, problem, **variables) in refused.value.messages
    assert count_rows(any_db, SurveyResponse) == 0


def test_formula_looking_cells_are_only_data(any_db):
    session, (demande, _) = evaluated_session()
    content = (
        "email;type;Utilité au poste\n"
        '"=HYPERLINK(""http://x.example"";""a"")";session;4\n'
        f"{demande.collaborator.email};@SUM(1+1);=1+2\n"
    )
    with pytest.raises(ImportRejected) as refused:
        import_responses(session, content)
    assert refused.value.messages == [
        on_line(2, "%(email)s is not enrolled in this session.", email='=HYPERLINK("http://x.example";"a")'),
        on_line(3, "unknown type « %(value)s » (chaud, froid or session).", value="@SUM(1+1)"),
        fr("Line %(line)s: %(error)s", line=3, error=not_a_score("Utilité au poste", "=1+2")),
    ]
    assert count_rows(any_db, SurveyResponse) == 0


NOT_TEXT = "This file is not a CSV text file in UTF-8: save it as « CSV UTF-8 » and try again."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", NOT_TEXT),
        (b"PK\x03\x04\x14\x00\x06\x00", NOT_TEXT),  # an .xlsx file
        ("Utilité au poste\n3\n".encode("latin-1"), NOT_TEXT),
        ("Utilité au poste\n3\x00\n", NOT_TEXT),
        (b"", "The file is empty."),
        ("\ufeff\r\n\r\n", "The file is empty."),
        ("Utilité au poste\n", "The file holds no response under its first line."),
        ("Utilité au poste\n;\n", "The file holds no response under its first line."),
        (
            b"Utilit\xc3\xa9 au poste\n" + b"3\n" * (MAX_IMPORT_BYTES // 2),
            "The file is larger than %(size)s MB: split it.",
        ),
        ("Utilité au poste\n" + "3\n" * 5001, "The file has more than %(max)s lines of responses: split it."),
    ],
)
def test_files_that_are_not_a_response_table_are_refused(any_db, content, message):
    session, _ = evaluated_session()
    with pytest.raises(ImportRejected) as refused:
        import_responses(session, content)
    assert refused.value.messages == [fr(message, size=1, max=5000)]
    assert count_rows(any_db, SurveyResponse) == 0


def test_huge_lines_and_broken_quotes_are_refused(any_db):
    session, _ = evaluated_session()
    with pytest.raises(ImportRejected) as refused:
        import_responses(session, "Utilité au poste\n3\n" + "4" * (MAX_LINE_CHARS + 1) + "\n5\n")
    assert refused.value.messages == [
        on_line(3, "the line is longer than %(max)s characters.", max=MAX_LINE_CHARS)
    ]
    with pytest.raises(ImportRejected) as refused:
        import_responses(session, 'Utilité au poste;email\n3;\n"4;\n' + "5;\n" * 3000)
    assert refused.value.messages == [on_line(3, "a quotation mark is not closed or is misplaced.")]
    assert count_rows(any_db, SurveyResponse) == 0


# --- Through the « Évaluation » tab ---------------------------------------------------------------


def page(client, url):
    return unescape(client.get(url).get_data(as_text=True))


def tab(session) -> str:
    return f"/admin/sessions/details/?id={session.id}&tab=evaluation"


def test_enter_a_response_from_the_evaluation_tab(manager, db):
    session, (first, _second) = evaluated_session()
    other_session, (stranger,) = evaluated_session(enrolled=1)
    cancelled = factories.enrol(session)
    cancelled.status = RequestStatus.CANCELLED
    session.enrolled_count -= 1
    db.session.flush()
    shown = page(manager, tab(session))
    form = shown.split('id="response-form"')[1].split("</form>")[0]
    options = re.findall(r'<option value="(\d*)"', form.split('id="response-kind"')[0])
    assert sorted(options) == sorted(["", str(first.id), str(_second.id)])  # enrolled here only
    assert str(first.collaborator) in form and str(stranger.collaborator) not in form
    assert (
        fr(
            "Scores are whole numbers from %(min)s (lowest) to %(max)s (highest). Leave a question "
            "empty when it was not answered.",
            min=1,
            max=5,
        )
        in form
    )
    assert 'name="score:Rythme, durée"' in form
    assert "email;type;Clarté des explications;Utilité au poste;Rythme, durée" in shown

    response = post_form(
        manager,
        f"/admin/sessions/evaluation/response/?id={session.id}",
        {
            "request_id": str(first.id),
            "kind": "hot",
            "score:Clarté des explications": "4",
            "score:Utilité au poste": "5",
            "score:Rythme, durée": "",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("tab=evaluation")
    assert saved(db) == [(first.id, SurveyKind.HOT, {"Clarté des explications": 4, "Utilité au poste": 5})]
    after = page(manager, response.headers["Location"])
    assert fr("Response saved.") in after
    results_panel = after.split('id="evaluation-results"')[1]
    assert "1 réponse(s)" in results_panel and "Pas de données" not in results_panel
    assert "Enquête à chaud : 1" in results_panel
    assert re.search(r"Clarté des explications</td><td[^>]*>4</td>", results_panel)
    assert re.search(r"Rythme, durée</td><td[^>]*>—</td>", results_panel)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"request_id": "abc", "score:Utilité au poste": "3"},
            "Choose a participant enrolled in this session.",
        ),
        (
            {"request_id": "99999999999", "score:Utilité au poste": "3"},
            "Choose a participant enrolled in this session.",
        ),
        ({"score:Utilité au poste": "7"}, None),
        ({"score:Question inventée": "3"}, None),
        ({"kind": "tiède", "score:Utilité au poste": "3"}, "Choose the kind of response in the list."),
        ({}, "Enter at least one score."),
    ],
)
def test_bad_responses_are_refused_with_a_message(manager, db, data, message):
    session, _ = evaluated_session()
    response = post_form(
        manager, f"/admin/sessions/evaluation/response/?id={session.id}", {"kind": "session", **data}
    )
    assert response.status_code == 302
    shown = " ".join(flashed_errors(page(manager, response.headers["Location"])))
    if message:
        assert fr(message) in shown
    elif "score:Utilité au poste" in data:
        assert not_a_score("Utilité au poste", "7") in shown
    else:
        assert (
            fr("« %(question)s » is not a question of this evaluation.", question="Question inventée")
            in shown
        )
    assert count_rows(db, SurveyResponse) == 0


def test_a_participant_of_another_session_is_refused(manager, db):
    session, _ = evaluated_session()
    _other, (stranger,) = evaluated_session(enrolled=1)
    response = post_form(
        manager,
        f"/admin/sessions/evaluation/response/?id={session.id}",
        {"request_id": str(stranger.id), "kind": "session", "score:Utilité au poste": "3"},
    )
    shown = " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert fr("Choose a participant enrolled in this session.") in shown
    assert count_rows(db, SurveyResponse) == 0


def test_no_response_form_before_someone_is_enrolled(manager, db):
    session, _ = evaluated_session(enrolled=0)
    shown = page(manager, tab(session))
    assert 'id="response-form"' not in shown and 'id="responses-import-form"' not in shown
    assert "Pas de données" in shown
    response = post_form(
        manager, f"/admin/sessions/evaluation/response/?id={session.id}", {"score:Utilité au poste": "3"}
    )
    shown = " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert fr("Responses can be entered once a trainee is enrolled in the session.") in shown
    assert count_rows(db, SurveyResponse) == 0


def upload(client, session, content: bytes, filename: str = "reponses.csv"):
    response = client.post(
        f"/admin/sessions/evaluation/import/?id={session.id}",
        data={"csrf_token": client.csrf, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    response.request.environ["wsgi.input"].close()  # the test client spools large uploads to a file
    return response


def test_import_a_csv_file_from_the_evaluation_tab(manager, db):
    session, (first, second) = evaluated_session()
    content = (
        "\ufeffemail;type;Clarté des explications;Utilité au poste\r\n"
        f"{first.collaborator.email};chaud;4;5\r\n"
        f"{second.collaborator.email};chaud;2;3\r\n"
        ";froid;5;5\r\n"
    ).encode()
    response = upload(manager, session, content)
    assert response.status_code == 302
    shown = page(manager, response.headers["Location"])
    assert frn("%(num)s response imported.", "%(num)s responses imported.", 3) in shown
    assert count_rows(db, SurveyResponse) == 3
    results_panel = shown.split('id="evaluation-results"')[1]
    assert "3 réponse(s)" in results_panel
    assert "Enquête à chaud : 2" in results_panel and "Enquête à froid : 1" in results_panel
    assert re.search(r"Clarté des explications</td><td[^>]*>3,7</td>", results_panel)


def test_a_refused_import_lists_the_first_twenty_problems(manager, db):
    session, _ = evaluated_session()
    lines = ["email;Utilité au poste"] + [f"personne{n}@example.com;{n + 6}" for n in range(13)]
    response = upload(manager, session, "\n".join(lines).encode())
    assert response.status_code == 302
    shown = page(manager, response.headers["Location"])
    problems = re.findall(r"<li>(.*?)</li>", shown.split('id="import-problems"')[1].split("</ul>")[0])
    assert len(problems) == 21  # 13 lines × 2 problems: 20 shown, then what is left
    assert problems[0] == on_line(
        2, "%(email)s is not enrolled in this session.", email="personne0@example.com"
    )
    assert problems[1] == fr("Line %(line)s: %(error)s", line=2, error=not_a_score("Utilité au poste", "6"))
    assert problems[-1] == frn("… and %(num)s more problem.", "… and %(num)s more problems.", 6)
    assert fr("Nothing was imported. Correct the file and import it again:") in shown
    assert count_rows(db, SurveyResponse) == 0


def test_hostile_uploads_get_a_message_and_no_error_page(manager, db):
    session, _ = evaluated_session()
    for content, expected in (
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 100, fr(NOT_TEXT)),
        (
            b"Utilit\xc3\xa9 au poste\n" + b"4\n" * MAX_IMPORT_BYTES,
            fr("The file is larger than %(size)s MB: split it.", size=1),
        ),
    ):
        response = upload(manager, session, content)
        assert response.status_code == 302
        assert expected in " ".join(flashed_errors(page(manager, response.headers["Location"])))
    response = upload(manager, session, "email;Utilité au poste\n<script>alert(1)</script>;4\n".encode())
    html = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = manager.post(
        f"/admin/sessions/evaluation/import/?id={session.id}", data={"csrf_token": manager.csrf}
    )
    shown = " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert fr("Choose the CSV file to import.") in shown
    assert count_rows(db, SurveyResponse) == 0


def test_a_manager_enters_responses_on_a_locked_session(manager, db):
    session, (demande, _) = evaluated_session()  # enrolled people lock the session for a manager
    shown = page(manager, tab(session))
    assert 'id="evaluation-form"' not in shown and 'id="response-form"' in shown
    post_form(
        manager,
        f"/admin/sessions/evaluation/response/?id={session.id}",
        {"request_id": str(demande.id), "kind": "cold", "score:Utilité au poste": "2"},
    )
    assert saved(db) == [(demande.id, SurveyKind.COLD, {"Utilité au poste": 2})]


def test_viewer_sees_results_but_cannot_enter_or_import(login_as, db):
    viewer = login_as(Role.VIEWER)
    session, (demande, _) = evaluated_session()
    shown = page(viewer, tab(session))
    assert "0 réponse(s)" in shown
    assert 'id="response-form"' not in shown and 'id="responses-import-form"' not in shown
    response = post_form(
        viewer,
        f"/admin/sessions/evaluation/response/?id={session.id}",
        {"request_id": str(demande.id), "score:Utilité au poste": "2"},
    )
    assert response.status_code == 403
    assert upload(viewer, session, "Utilité au poste\n4\n".encode()).status_code == 403
    assert count_rows(db, SurveyResponse) == 0


def test_unknown_sessions_are_not_found(manager, db):
    for url in (
        "/admin/sessions/evaluation/response/?id=999999",
        "/admin/sessions/evaluation/response/?id=x",
    ):
        assert post_form(manager, url, {"score:Clarté": "3"}).status_code == 404
    assert (
        manager.post(
            "/admin/sessions/evaluation/import/?id=999999",
            data={"csrf_token": manager.csrf, "file": (io.BytesIO(b"Clarte\n3\n"), "r.csv")},
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
