"""« Évaluation »: choose the questionnaire and « Sauvegarder »; its results show « Pas de données »
until a trainee is enrolled; the staff enter a response or import a CSV file of them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ...extensions import db
from ...ids import parse_id
from ...models import Evaluation, SurveyKind, TrainingSession
from ...services.errors import DomainError, ValidationFailed
from ...services.evaluations import (
    KIND_WORDS,
    MAX_IMPORT_BYTES,
    SCORE_MAX,
    SCORE_MIN,
    ImportRejected,
    add_response,
    choose_evaluation,
    import_responses,
    respondents,
)
from ...services.evaluations import results as evaluation_results
from ..labels import enum_choices
from .part import SessionTab, route

#: Problems of a refused import shown at once; the rest are counted.
MAX_SHOWN_PROBLEMS = 20


class EvaluationTab(SessionTab):
    name = "evaluation"
    label = _l("Evaluation")

    def context(self, session: TrainingSession) -> dict:
        open_to_responses = session.evaluation is not None and session.enrolled_count > 0
        return {
            "evaluations": db.session.scalars(sa.select(Evaluation).order_by(Evaluation.name)).all(),
            "evaluation_results": evaluation_results(session),
            "respondents": respondents(session) if open_to_responses and self.view.can_edit else [],
            "open_to_responses": open_to_responses,
            "survey_kinds": enum_choices(SurveyKind),
            "kind_words": ", ".join(KIND_WORDS),
            "score_min": SCORE_MIN,
            "score_max": SCORE_MAX,
        }

    def refused(self, exc: DomainError):
        if isinstance(exc, ImportRejected):
            flash(import_problems(exc.messages), "error")
            return self.back()
        return super().refused(exc)

    @route("/evaluation/", methods=("POST",))
    def evaluation_view(self):
        session = self.session()
        choose_evaluation(
            session,
            parse_id(request.form.get("evaluation_id")),
            current_user,
            request.form.get("change_reason"),
        )
        return self.saved(gettext("Evaluation saved."))

    @route("/evaluation/response/", methods=("POST",))
    def response_add_view(self):
        """« Saisir une réponse »: one participant's (or an anonymous) scores, entered by the staff."""
        session = self.session()
        form = request.form
        participant = (form.get("request_id") or "").strip()
        scores = {
            name.removeprefix("score:"): value for name, value in form.items() if name.startswith("score:")
        }
        if participant and parse_id(participant) is None:
            raise ValidationFailed({"request_id": gettext("Choose a participant enrolled in this session.")})
        add_response(session, parse_id(participant), form.get("kind"), scores)
        return self.saved(gettext("Response saved."))

    @route("/evaluation/import/", methods=("POST",))
    def responses_import_view(self):
        """Responses from a CSV file, all or nothing (the rules are in services.evaluations)."""
        session = self.session()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise DomainError(gettext("Choose the CSV file to import."), field="file")
        try:
            content = upload.stream.read(MAX_IMPORT_BYTES + 1)
        finally:
            upload.close()
        count = import_responses(session, content)
        return self.saved(ngettext("%(num)s response imported.", "%(num)s responses imported.", count))


def import_problems(messages: list[str]) -> Markup:
    """One message for a refused import: what to fix, line by line, the first ones only."""
    shown = messages[:MAX_SHOWN_PROBLEMS]
    items = Markup("").join(Markup("<li>{}</li>").format(message) for message in shown)
    more = len(messages) - len(shown)
    if more:
        items += Markup("<li>{}</li>").format(
            ngettext("… and %(num)s more problem.", "… and %(num)s more problems.", more)
        )
    return Markup('{}<ul class="mb-0" id="import-problems">{}</ul>').format(
        gettext("Nothing was imported. Correct the file and import it again:"), items
    )
