"""A learner answers the hot survey from their link on a phone (Chromium emulating a Pixel 7): large
score buttons, a question left without a score shown next to it, « Envoyer mes réponses », the
thank-you page, « Vous avez déjà répondu, merci » on the link afterwards; then the staff, logged in,
see the answer in the session's « Évaluation » tab. Every state meets AA contrast (axe-core, as in
test_browser_contrast)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from trainadmin.models import Role, SurveyKind
from trainadmin.services.evaluations import survey_link

from . import factories
from .test_browser_contrast import contrast_failures

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def test_a_learner_answers_on_a_phone_and_the_staff_see_the_answer(
    app, browser, playwright, browser_login, live_url, committed_db, monkeypatch
):
    monkeypatch.setitem(app.config, "TRAINADMIN_PUBLIC_URL", live_url)
    manager = factories.make_user(role=Role.MANAGER, password=PASSWORD)
    evaluation = factories.make_named(
        factories.Evaluation, name="Satisfaction", questions="Clarté des explications\nUtilité au poste"
    )
    session = factories.make_session(evaluation=evaluation, label="Prise de parole en public")
    sequence = factories.make_sequence(session, label="Jour 1")
    alice = factories.enrol(session, factories.make_collaborator(first_name="Alice", last_name="Martin"))
    url = survey_link(alice, SurveyKind.HOT, sequence)
    session_id = session.id
    committed_db.session.commit()

    phone = browser.new_context(**playwright.devices["Pixel 7"])
    learner = phone.new_page()
    learner.goto(url)
    expect(learner.locator("#survey-title")).to_have_text("Enquête à chaud")
    expect(learner.locator("#survey-subject")).to_have_text("« Prise de parole en public » — Jour 1")
    # Made for a phone: nothing wider than the screen, score buttons a thumb can hit.
    assert learner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = learner.locator("label[for=q1-3]").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert contrast_failures(learner, "survey form") == []

    learner.locator("label[for=q1-4]").tap()  # « Clarté » 4; « Utilité » forgotten
    learner.get_by_label("Commentaire (facultatif)").fill("Exercices très concrets.")
    learner.get_by_role("button", name="Envoyer mes réponses").tap()
    expect(learner.locator("#error-2")).to_have_text("Choisissez une note de 1 à 5 pour cette question.")
    expect(learner.locator("#question-1 #error-1")).to_have_count(0)
    expect(learner.locator("#q1-4")).to_be_checked()  # kept, with the comment
    expect(learner.get_by_label("Commentaire (facultatif)")).to_have_value("Exercices très concrets.")
    assert contrast_failures(learner, "survey form with a missing score") == []

    learner.locator("label[for=q2-5]").tap()
    expect(learner.locator("#q2-5")).to_be_checked()
    learner.get_by_role("button", name="Envoyer mes réponses").tap()
    expect(learner.locator("#survey-done")).to_have_text("Merci : vos réponses sont enregistrées.")
    assert contrast_failures(learner, "survey thanks") == []
    learner.goto(url)  # the e-mail's link, opened again
    expect(learner.locator("#survey-done")).to_have_text("Vous avez déjà répondu, merci.")
    phone.close()

    staff = browser_login(manager)
    staff.goto(f"{live_url}/admin/sessions/details/?id={session_id}")
    staff.locator("#session-tabs").get_by_role("link", name="Évaluation", exact=True).click()
    results = staff.locator("#evaluation-results")
    expect(results.locator("#response-count")).to_have_text("1 réponse(s)")
    survey = results.locator(".survey-results[data-kind=hot]")
    expect(survey.locator("h5")).to_have_text("Enquête à chaud — Jour 1")
    expect(survey.locator(".survey-rate")).to_have_text(
        re.compile(r"^Taux de réponse : 100\s% — 1 sur 1 participant ayant reçu l'enquête$")
    )
    expect(survey.locator("tbody tr")).to_have_text(
        [re.compile(r"Clarté des explications\s*4$"), re.compile(r"Utilité au poste\s*5$")]
    )
    expect(survey.locator(".survey-comments li")).to_have_text("Exercices très concrets. — Alice Martin")
    assert contrast_failures(staff, "evaluation tab with a survey sent by link") == []
