"""The subject and body of a session's e-mail rules: the rule's own text, or its template's.

A rule made from a template (a new session, an import) keeps no copy of the template's text: its
subject and body are NULL and read the template's. Before a template's text changes
(`keep_session_texts`), the rules still reading it get the old text written into them, in one
UPDATE: a session's e-mails stay as they were when it was created, as when each rule held a copy.
Editing a rule's text in a session's « E-mails » tab writes it into that rule only.

Everything that reads a rule's text (compose, the « E-mails » tab, the checks at save, the history)
reads it here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ...extensions import db
from ...models import EmailRule, EmailTemplate


@dataclass(frozen=True)
class RuleText:
    subject: str
    body: str


def rule_texts(rules: Sequence[EmailRule]) -> list[RuleText]:
    """The text of each rule, in order; one query for the templates the rules still read, if any."""
    kinds = {rule.kind for rule in rules if rule.subject is None or rule.body is None}
    templates: dict = {}
    if kinds:
        rows = db.session.execute(
            sa.select(EmailTemplate.kind, EmailTemplate.subject, EmailTemplate.body).where(
                EmailTemplate.kind.in_(kinds)
            )
        )
        templates = {row.kind: row for row in rows}
    texts = []
    for rule in rules:
        template = templates.get(rule.kind)
        subject = rule.subject if rule.subject is not None else (template.subject if template else "")
        body = rule.body if rule.body is not None else (template.body if template else "")
        texts.append(RuleText(subject, body))
    return texts


def rule_text(rule: EmailRule) -> RuleText:
    return rule_texts([rule])[0]


def text_changes(current: RuleText, subject: str, body: str) -> dict[str, str]:
    """The columns to write for a rule that says `current` to say `subject` and `body`: only a text
    that differs (a rule left as its template keeps reading the template)."""
    changes = {}
    if subject != current.subject:
        changes["subject"] = subject
    if body != current.body:
        changes["body"] = body
    return changes


def keep_session_texts(template: EmailTemplate) -> int:
    """Before the changed subject or body of `template` is saved: write its former text into the
    rules that still read it (one UPDATE); returns how many rules were written."""
    state = sa.inspect(template)
    if not state.persistent:
        return 0
    former, unknown = {}, []
    for field in ("subject", "body"):
        history = state.attrs[field].history
        if not history.added:
            continue
        if not history.deleted:  # set without being loaded first: the database still has it
            unknown.append(field)
        elif history.deleted[0] != history.added[0]:
            former[field] = history.deleted[0]
    if unknown:
        with db.session.no_autoflush:
            stored = db.session.execute(
                sa.select(EmailTemplate.subject, EmailTemplate.body).where(EmailTemplate.id == template.id)
            ).one()
        former.update(
            {
                field: getattr(stored, field)
                for field in unknown
                if getattr(stored, field) != getattr(template, field)
            }
        )
    if not former:
        return 0
    table = EmailRule.__table__
    statement = (
        table.update()
        .where(table.c.kind == template.kind, sa.or_(*(table.c[field].is_(None) for field in former)))
        .values({field: sa.func.coalesce(table.c[field], text) for field, text in former.items()})
    )
    return db.session.execute(statement).rowcount
