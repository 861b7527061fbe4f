"""The global defaults (« Modèles d'e-mails ») and each session's own rules, and their checks.

Each session gets its own rules made from the templates (`copy_rules`), duplicated with the session;
a later change to a template does not touch the sessions that already have their rules. An import's
drafts follow the templates until they need rules of their own (`default_rules.py`). A rule made
from a template reads the template's subject and body until they change (`rule_texts.py`: no copy
of the text per session). The templates' attachments are sent with every session's e-mail of their
kind, after the rule's own. The default templates' settings and texts are in `defaults.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext

from ...extensions import db
from ...ids import parse_id
from ...models import (
    EmailAnchor,
    EmailKind,
    EmailRule,
    EmailTemplate,
    Publication,
    TrainingSession,
)
from .. import documents, history
from ..errors import ValidationFailed
from ..history import snapshots
from ..rows import insert_ignoring_duplicates
from .default_rules import (
    RULE_FIELDS,
    own_rules,
    take_defaults,
    take_defaults_before_change,
    templates_by_kind,
)
from .defaults import kind_position
from .recipients import RECIPIENT_KINDS, recipient_kinds, split_addresses
from .render import check_template
from .rule_texts import RuleText, keep_session_texts, rule_text, rule_texts, text_changes
from .schedule import refresh_schedule

MAX_ADDRESSES = 50
MAX_DELAY = 365

#: Fields a duplicated session's rule takes from the source's (a NULL text: the template's, as there).
COPIED_FIELDS = (*RULE_FIELDS, "extra_recipients", "bcc", "subject", "body")


# --- Checks ------------------------------------------------------------------------------------


def normalise_addresses(text: str | None, field: str, errors: dict[str, str]) -> str | None:
    """Addresses typed in a field, checked; written back one per comma, lower-cased, each once."""
    found: list[str] = []
    for address in split_addresses(text):
        try:
            checked = validate_email(address, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors[field] = gettext("« %(address)s » is not a valid e-mail address.", address=address[:100])
            return None
        if checked not in found:
            found.append(checked)
    if len(found) > MAX_ADDRESSES:
        errors[field] = gettext("At most %(max)s addresses.", max=MAX_ADDRESSES)
        return None
    return ", ".join(found) or None


def parse_delay(value, errors: dict[str, str], field: str = "delay_days") -> int | None:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        text = value.strip().replace("−", "-")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-").strip()
        number = parse_id(digits, 5)
        value = sign * number if number is not None else None
    if not isinstance(value, int) or not -MAX_DELAY <= value <= MAX_DELAY:
        errors[field] = gettext(
            "Enter a number of days between %(min)s and %(max)s.", min=-MAX_DELAY, max=MAX_DELAY
        )
        return None
    return value


def check_recipient_kinds(text: str | None, errors: dict[str, str], field: str = "recipients") -> str:
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    kinds = recipient_kinds(text)
    if len(kinds) != len(parts):
        errors[field] = gettext("Choose the recipients in the list.")
    return ",".join(kind for kind in RECIPIENT_KINDS if kind in kinds)


def template_errors(
    kind: EmailKind, anchor: EmailAnchor, subject: str | None, body: str | None, delay_days=0, recipients=None
) -> dict[str, str]:
    """Problems of a template's (or a rule's) values: {field: message}."""
    errors = check_template(kind, anchor, subject or "", body or "")
    parse_delay(delay_days, errors)
    if recipients is not None:
        check_recipient_kinds(recipients, errors)
    return errors


def check_email_template(template: EmailTemplate) -> None:
    """A global template as it is about to be saved; ValidationFailed({field: message})."""
    errors = template_errors(
        template.kind,
        template.anchor,
        template.subject,
        template.body,
        template.delay_days,
        template.recipients,
    )
    if errors:
        raise ValidationFailed(errors)
    template.recipients = check_recipient_kinds(template.recipients, {})


def _changes_rules(template: EmailTemplate) -> bool:
    """Whether saving `template` changes what a session made from it now would get."""
    state = sa.inspect(template)
    return state.persistent and any(
        state.attrs[field].history.has_changes() for field in (*RULE_FIELDS, "subject", "body")
    )


def save_email_template(template: EmailTemplate) -> None:
    """A global template changed in « Modèles d'e-mails », before it is saved: checked; the
    sessions following the defaults take their copy of them first, and the sessions whose rules
    still read its former text keep it."""
    check_email_template(template)
    if _changes_rules(template):
        take_defaults_before_change()
    keep_session_texts(template)
    db.session.flush()


# --- A session's rules -------------------------------------------------------------------------


def session_rules(session: TrainingSession) -> list[EmailRule]:
    own_rules(session)
    rules = db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == session.id)).all()
    return sorted(rules, key=lambda rule: kind_position(rule.kind))


def session_rule(session: TrainingSession, kind: EmailKind) -> EmailRule | None:
    """The session's rule of `kind`; a session made before that kind of e-mail existed takes it
    from its template then (none when the template is missing)."""
    own_rules(session)
    query = sa.select(EmailRule).where(EmailRule.session_id == session.id, EmailRule.kind == kind)
    rule = db.session.scalars(query).first()
    if rule is None:
        template = templates_by_kind().get(kind)
        if template is None:
            return None
        values = {field: getattr(template, field) for field in RULE_FIELDS}
        db.session.execute(
            insert_ignoring_duplicates(EmailRule, ["session_id", "kind"]),
            [{**values, "session_id": session.id}],
        )
        rule = db.session.scalars(query).first()
    return rule


def copy_rules(session: TrainingSession, source: TrainingSession | None = None, now=None) -> None:
    """Give a session its own rules: a copy of the source session's when duplicating (« tous les
    paramétrages email sont repris »), of the global templates otherwise (or when the source has
    none), with their attachments (copies of the files: deleting one never deletes the other).
    Kinds the session already has are left alone; running it twice changes nothing."""
    db.session.flush()
    have = set(db.session.scalars(sa.select(EmailRule.kind).where(EmailRule.session_id == session.id)))
    values_by_kind: dict[EmailKind, dict] = {}
    source_rules: dict[int, EmailKind] = {}
    if source is not None:
        for rule in db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == source.id)):
            values_by_kind[rule.kind] = {field: getattr(rule, field) for field in COPIED_FIELDS}
            source_rules[rule.id] = rule.kind
    if not values_by_kind:
        for kind, template in templates_by_kind().items():
            values_by_kind[kind] = {field: getattr(template, field) for field in RULE_FIELDS}
    rows = [
        {**values, "session_id": session.id}
        for kind, values in sorted(values_by_kind.items(), key=lambda item: kind_position(item[0]))
        if kind not in have
    ]
    if rows:  # (a concurrent copy for the same session may have written some: theirs stand)
        db.session.execute(insert_ignoring_duplicates(EmailRule, ["session_id", "kind"]), rows)
    if source_rules and rows:
        _copy_attachments(session, source_rules, have)
    refresh_schedule(session, now)


def _copy_attachments(session: TrainingSession, source_rules: dict[int, EmailKind], had: set) -> None:
    """The files attached to the source's rules, copied to the rules just made from them."""
    attached = documents.documents_of(email_rule_ids=list(source_rules))
    if not attached:
        return
    copies = {rule.kind: rule for rule in session_rules(session) if rule.kind not in had}
    for document in attached:
        copy = copies.get(source_rules[document.email_rule_id])
        if copy is not None:
            documents.copy_document(document, email_rule=copy)


def copy_default_rules(session_ids: list[int], now=None) -> None:
    """Many sessions just created (a partner import's batch), none with rules yet, all following
    the defaults: the published ones take their rules (one INSERT … SELECT) and their e-mails are
    planned; the drafts keep following the defaults until they need rules of their own."""
    if not session_ids:
        return
    sessions = TrainingSession.__table__
    published = sa.and_(sessions.c.id.in_(session_ids), sessions.c.publication == Publication.PUBLISHED)
    if not take_defaults(published):
        return
    for session in db.session.scalars(
        sa.select(TrainingSession).where(
            TrainingSession.id.in_(session_ids), TrainingSession.publication == Publication.PUBLISHED
        )
    ):
        refresh_schedule(session, now)


def _rule_changes(rule: EmailRule, values: dict, text: RuleText) -> tuple[dict, dict[str, str]]:
    """The checked new values of a rule that says `text`, and the problems, without touching it."""
    errors: dict[str, str] = {}
    changes: dict = {}
    if values.get("enabled") is not None:
        changes["enabled"] = bool(values["enabled"])
    if values.get("delay_days") is not None and rule.anchor in (
        EmailAnchor.SEQUENCE_START,
        EmailAnchor.SEQUENCE_END,
    ):
        delay = parse_delay(values["delay_days"], errors)
        if delay is not None:
            changes["delay_days"] = delay
    for field in ("extra_recipients", "bcc"):
        if field in values:
            changes[field] = normalise_addresses(values[field], field, errors)
    subject, body = values.get("subject"), values.get("body")
    if subject is not None or body is not None:
        subject = text.subject if subject is None else subject.strip()
        body = text.body if body is None else body.replace("\r\n", "\n").strip()
        problems = check_template(rule.kind, rule.anchor, subject, body)
        errors.update(problems)
        if not problems:
            changes.update(text_changes(text, subject, body))
    return changes, errors


def _record(rule: EmailRule, changes: dict, text: RuleText) -> None:
    """The history of the session: one entry per rule changed."""
    before = snapshots.rule_fields(rule, text)
    changed = RuleText(changes.get("subject", text.subject), changes.get("body", text.body))
    after = {**before, **snapshots.rule_fields(_Changed(rule, changes), changed)}
    history.record_changes(rule.session, snapshots.rule_target(rule), before, after)


class _Changed:
    """A rule as it will be once `changes` are applied (for its snapshot)."""

    def __init__(self, rule: EmailRule, changes: dict):
        self._rule, self._changes = rule, changes

    def __getattr__(self, name: str):
        return self._changes[name] if name in self._changes else getattr(self._rule, name)


def update_rule(
    rule: EmailRule,
    *,
    enabled: bool | None = None,
    delay_days: int | str | None = None,
    extra_recipients: str | None = None,
    bcc: str | None = None,
    subject: str | None = None,
    body: str | None = None,
) -> EmailRule:
    """Change one rule of a session; ValidationFailed({field: message}) and nothing saved on a problem."""
    values = {"enabled": enabled, "delay_days": delay_days, "subject": subject, "body": body}
    values.update(extra_recipients=extra_recipients, bcc=bcc)
    text = rule_text(rule)
    changes, errors = _rule_changes(rule, values, text)
    if errors:
        raise ValidationFailed(errors)
    _record(rule, changes, text)
    for field, value in changes.items():
        setattr(rule, field, value)
    db.session.flush()
    refresh_schedule(rule.session)
    return rule


def field_key(rule_id: int, field: str) -> str:
    """The name of a rule's field in the « E-mails » tab's form (and of its error)."""
    return f"rule-{rule_id}-{field}"


def update_rules(session: TrainingSession, values_by_rule: dict[int, dict]) -> list[EmailRule]:
    """All the rules of the « E-mails » tab at once: every problem reported (keyed by `field_key`),
    nothing saved unless all are right."""
    ordered = session_rules(session)
    rules = {rule.id: rule for rule in ordered}
    texts = dict(zip(rules, rule_texts(ordered), strict=True))
    errors: dict[str, str] = {}
    planned: list[tuple[EmailRule, dict]] = []
    for rule_id, values in values_by_rule.items():
        rule = rules.get(rule_id)
        if rule is None:
            message = gettext("This e-mail rule does not belong to the session.")
            errors[field_key(rule_id, "enabled")] = message
            continue
        changes, problems = _rule_changes(rule, values, texts[rule_id])
        errors.update({field_key(rule_id, field): message for field, message in problems.items()})
        planned.append((rule, changes))
    if errors:
        raise ValidationFailed(errors)
    for rule, changes in planned:
        _record(rule, changes, texts[rule.id])
        for field, value in changes.items():
            setattr(rule, field, value)
    db.session.flush()
    refresh_schedule(session)
    return list(rules.values())
