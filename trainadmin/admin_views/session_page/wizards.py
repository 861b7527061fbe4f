"""« Créer une session »: the choice Créer / Dupliquer / Importer, and the duplicate wizard."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, redirect, request, url_for
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, IntegerField
from wtforms.validators import InputRequired, Optional

from ...extensions import db
from ...form_tokens import answer_with
from ...ids import parse_id
from ...models import TrainingSession
from ...services.errors import ValidationFailed
from ...services.sessions import MAX_YEAR, MIN_YEAR, duplicate_session
from ..validators import NumberRange
from .part import SessionPart, route

CHOICES = ("create", "duplicate", "import")
SEARCH_LIMIT = 50


class DuplicateForm(BaseForm):
    year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(min=MIN_YEAR, max=MAX_YEAR)],
        description=_l("Left empty: the year of the start date."),
        render_kw={"data-year-of": "start_date"},
    )
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    end_date = DateField(_l("End date"), validators=[InputRequired()])

    def validate(self, extra_validators=None) -> bool:
        """The year defaults to the start date's: a session of next January duplicated in December
        is coded with next year."""
        valid = super().validate(extra_validators)
        if self.year.data is None and not self.year.errors:
            if self.start_date.data is not None:
                self.year.data = self.start_date.data.year
            else:
                self.year.errors = [*self.year.errors, gettext("Give the year or the start date.")]
                valid = False
        return valid


def search_sessions(term: str | None):
    """The most recent sessions whose code or title contains `term`."""
    term = (term or "").strip()[:100]
    query = sa.select(TrainingSession.id, TrainingSession.code, TrainingSession.label)
    if term:
        pattern = "%" + term.replace("\\", "").replace("%", "").replace("_", "") + "%"
        label = TrainingSession.label_search.like(sa.func.lower(pattern))  # (as the list: its trigram index)
        query = query.where(sa.or_(TrainingSession.code.ilike(pattern), label))
    return db.session.execute(query.order_by(TrainingSession.code.desc()).limit(SEARCH_LIMIT)).all()


class SessionWizards(SessionPart):
    """« Créer une session » and « Dupliquer »: they need write rights, even to be shown."""

    @route("/start/", write=True)
    def start_view(self):
        choice = request.args.get("choice", "")
        if choice == "create":
            return redirect(self.url(".create_view"))
        if choice == "duplicate":
            return redirect(self.url(".duplicate_view"))
        if choice == "import":
            return redirect(url_for("imports.start_view"))
        return self.view.render(
            "admin/sessions/start.html",
            choice=choice if choice in CHOICES else "create",
            return_url=self.url(".index_view"),
        )

    @route("/duplicate/search/", write=True)
    def duplicate_search_view(self):
        """Sessions matching a code or a label, for the searchable list of step 3."""
        rows = search_sessions(request.args.get("q"))
        return jsonify({"results": [{"id": row.id, "text": f"{row.code} — {row.label}"} for row in rows]})

    @route("/duplicate/", methods=("GET", "POST"))
    def duplicate_view(self):
        source_id = request.values.get("source", "")
        source = db.session.get(TrainingSession, parse_id(source_id) or 0)
        if source is None:
            source_error = gettext("Choose an existing session.") if "source" in request.values else None
            term = (request.args.get("q") or "").strip()[:100]
            return self.view.render(
                "admin/sessions/duplicate.html",
                step="choose",
                term=term,
                choices=search_sessions(term),
                source_error=source_error,
                return_url=self.url(".index_view"),
            )
        form = DuplicateForm(request.form if request.method == "POST" else None)
        if request.method == "POST" and form.validate():
            try:
                with db.session.begin_nested():
                    copy = duplicate_session(
                        source, form.year.data, form.start_date.data, form.end_date.data, user=current_user
                    )
            except ValidationFailed as exc:
                for name, message in exc.errors.items():
                    form[name].errors = [*form[name].errors, message]
            else:
                answer_with(lambda: self.url(".details_view", id=copy.id))
                return self.view.render(
                    "admin/sessions/duplicate.html",
                    step="done",
                    source=source,
                    copy=copy,
                    return_url=self.url(".index_view"),
                )
        for field in form:
            field.errors = [str(error) for error in field.errors]
        return self.view.render(
            "admin/sessions/duplicate.html",
            step="details",
            source=source,
            form=form,
            return_url=self.url(".index_view"),
        )
