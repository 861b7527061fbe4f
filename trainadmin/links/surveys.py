"""A participant answers a survey from their link, on a phone: every question scored from 1 to 5, a
comment if they wish, « Envoyer mes réponses » once; then « Merci » for good (« Vous avez déjà
répondu, merci » on the link afterwards). Reading the page changes nothing."""

from __future__ import annotations

from flask import flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext

from ..models import AccessLink, LinkPurpose
from ..services.errors import ValidationFailed
from ..services.evaluations import (
    COMMENT_MAX,
    SCORE_MAX,
    SCORE_MIN,
    Survey,
    SurveyUnavailable,
    already_answered,
    answer_survey,
    open_survey,
)
from ..services.links import LinkRefused, Refusal
from ..transaction import unit_of_work
from .blueprint import PAGE, link_view, refused_page

#: The flashed message's category that tells the page after the answer from a later visit.
THANKS = "survey-thanks"


def _form(survey: Survey, status: int = 200, *, chosen=None, comment: str = "", errors=None):
    return (
        render_template(
            "links/survey_form.html",
            survey=survey,
            scores=range(SCORE_MIN, SCORE_MAX + 1),
            chosen=chosen or {},
            comment=comment,
            errors=errors or {},
            comment_max=COMMENT_MAX,
        ),
        status,
    )


def _answered(link: AccessLink):
    """The survey was answered (with this link or an earlier one): thanks, and nothing to do."""
    thanks = get_flashed_messages(category_filter=[THANKS])
    return render_template("links/survey_done.html", thanks=thanks[0] if thanks else None)


def _refused(link: AccessLink, refusal: Refusal):
    if refusal == Refusal.USED or already_answered(link):
        return _answered(link)
    return refused_page(LinkRefused(refusal, link))


def _unavailable(exc: SurveyUnavailable):
    return render_template("links/refused.html", message=exc.message, refusal="closed"), 410


@link_view(LinkPurpose.SURVEY, PAGE, methods=("GET", "POST"), refused=_refused)
def survey_page(link: AccessLink):
    try:
        survey = open_survey(link)
    except SurveyUnavailable as exc:
        return _unavailable(exc)
    if already_answered(link):
        return _answered(link)
    if request.method == "GET":
        return _form(survey)
    chosen = {question: request.form.get(f"score:{question}", "") for question in survey.questions}
    comment = request.form.get("comment", "")
    try:
        with unit_of_work():
            answer_survey(link, chosen, comment)
    except ValidationFailed as exc:
        # 422, not 400: a form to complete is not a refused link (those count against the
        # address's stricter limit, which a company's learners behind one address share).
        return _form(survey, 422, chosen=chosen, comment=comment, errors=exc.errors)
    except SurveyUnavailable as exc:  # closed meanwhile (enrolment cancelled, questionnaire removed)
        return _unavailable(exc)
    flash(gettext("Thank you: your answers were saved."), THANKS)
    return redirect(url_for("links.page", token=request.view_args["token"]), 303)
