"""« E-mails » (« Gérer les notifications E-mails »): the session's e-mail settings, then each rule with
its on/off, delay, added recipients, BCC, attachments and text, saved all at once or not at all;
under each rule one line per sequence with « Envoyer maintenant » and « Ne pas envoyer »."""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from ...ids import parse_id
from ...models import EmailSchedule, TrainingSession
from ...services.errors import DomainError, ValidationFailed
from ...services.notifications import copy_rules, field_key, own_rules, session_rules, update_rules
from ...services.notifications import schedule as schedule_service
from ...services.sessions import set_calendar_invitations
from ...transaction import unit_of_work
from .emails_table import RULE_FIELDS, emails_context
from .part import SessionTab, route


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def posted_rules(form) -> dict[int, dict]:
    """The rules of the form, by id: the ticked box and the fields present."""
    posted: dict[int, dict] = {}
    for name in form:
        if not (name.startswith("rule-") and name.endswith("-present")):
            continue
        rule_id = parse_id(name.removeprefix("rule-").removesuffix("-present"))
        if rule_id is None:
            continue
        values = {"enabled": form.get(field_key(rule_id, "enabled")) == "y"}
        for field_name in ("delay_days", "extra_recipients", "bcc", "subject", "body"):
            key = field_key(rule_id, field_name)
            if key in form:
                values[field_name] = _text(form.get(key))
        posted[rule_id] = values
    return posted


class EmailsTab(SessionTab):
    name = "emails"
    label = _l("E-mails")

    def context(self, session: TrainingSession, posted=None, errors=None) -> dict:
        if session.emails_follow_defaults and request.method == "GET":
            # The tab names each rule by its id: a session following the defaults gets its own
            # copy of them when it is first shown, kept for the form that follows.
            with unit_of_work():
                own_rules(session)
        context = emails_context(session, posted, errors)
        context["emails_back_url"] = self.url(".details_view", id=session.id, tab="emails")
        return context

    @route("/emails/settings/", methods=("POST",))
    def emails_settings_view(self):
        """« Invitations Calendrier » on or off: a change of the session, under the enrolment lock."""
        set_calendar_invitations(
            self.session(),
            request.form.get("calendar_invitations") == "y",
            current_user,
            request.form.get("change_reason"),
        )
        return self.saved(gettext("E-mail settings saved."))

    @route("/emails/rules/", methods=("POST",))
    def emails_rules_view(self):
        """Every rule of the tab at once; on a problem, the tab again with the messages next to the
        fields (the rules' savepoint rolled back: nothing was saved)."""
        session = self.session()
        posted = posted_rules(request.form)
        try:
            with db.session.begin_nested():
                update_rules(session, posted)
        except ValidationFailed as exc:
            flash(gettext("Nothing was saved: correct the fields shown in red."), "error")
            shown = {field_key(rule.id, name) for rule in session_rules(session) for name in RULE_FIELDS}
            for key, message in exc.errors.items():
                if key not in shown:  # (a rule of another session: no field to show it next to)
                    flash(message, "error")
            return self.view.session_page(session, "emails", **self.context(session, posted, exc.errors))
        return self.saved(gettext("E-mail rules saved."))

    def _schedule(self, session: TrainingSession) -> EmailSchedule:
        schedule = db.session.get(EmailSchedule, parse_id(request.args.get("schedule")) or 0)
        if schedule is None or schedule.rule.session_id != session.id:
            abort(404)
        return schedule

    def _row_action(self, action, message: str):
        schedule = self._schedule(self.session())
        anchor = f"#rule-{schedule.rule_id}-sequence-{schedule.sequence_id}"
        try:
            with db.session.begin_nested():
                action(schedule)
        except DomainError as exc:
            flash(exc.message, "error")
            return self.back(anchor)
        return self.saved(message, anchor)

    @route("/emails/send-now/", methods=("POST",))
    def emails_send_now_view(self):
        """« Envoyer maintenant »: due now; the dispatcher sends it at its next tick."""
        return self._row_action(schedule_service.send_now, gettext("The e-mail will be sent in a moment."))

    @route("/emails/skip/", methods=("POST",))
    def emails_skip_view(self):
        """« Ne pas envoyer »."""
        return self._row_action(schedule_service.skip, gettext("This e-mail will not be sent."))

    @route("/emails/replan/", methods=("POST",))
    def emails_replan_view(self):
        return self._row_action(schedule_service.replan, gettext("This e-mail is planned again."))

    @route("/emails/defaults/", methods=("POST",))
    def emails_defaults_view(self):
        """A session without rules (made before the e-mails existed) takes the default ones."""
        copy_rules(self.session())
        return self.saved(gettext("E-mail rules saved."))
