"""The default e-mails (« Modèles d'e-mails ») and the sessions that follow them.

A session made in the back office gets its own rules at once (`rules.copy_rules`). A partner
import's drafts do not: they follow the defaults (`TrainingSession.emails_follow_defaults`) and get
their own copy, as it then stands, the first time they need one: when their rules are shown or
changed (`session_rules`), when they are published and their e-mails planned (`refresh_schedule`),
when an event (an enrolment, a cancellation) sends one. Before a template changes, every session
still following the defaults gets its copy (`take_defaults_before_change`): a session's e-mails
stay as they were when it was created, as if it had had its rules from the start.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...models import EmailKind, EmailRule, EmailTemplate, TrainingSession
from ..rows import insert_ignoring_duplicates
from .defaults import DEFAULT_TEMPLATES, default_templates

#: Fields a session's rule takes from its template; its subject and body stay NULL: the template's.
RULE_FIELDS = ("kind", "enabled", "anchor", "delay_days", "send_time", "recipients")


def ensure_templates() -> int:
    """Create the missing default templates (never changes an existing one); returns how many."""
    existing = set(db.session.scalars(sa.select(EmailTemplate.kind)))
    missing = [
        {"enabled": True, "send_time": None, **values}
        for values in default_templates()
        if values["kind"] not in existing
    ]
    if not missing:
        return 0
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(EmailTemplate), missing)
    except IntegrityError:  # another process created some meanwhile: add the others one by one
        created = 0
        for values in missing:
            try:
                with db.session.begin_nested():
                    db.session.execute(sa.insert(EmailTemplate), [values])
            except IntegrityError:
                continue
            created += 1
        return created
    return len(missing)


def templates_by_kind() -> dict[EmailKind, EmailTemplate]:
    templates = {template.kind: template for template in db.session.scalars(sa.select(EmailTemplate))}
    if len(templates) < len(DEFAULT_TEMPLATES):
        ensure_templates()
        templates = {template.kind: template for template in db.session.scalars(sa.select(EmailTemplate))}
    return templates


def take_defaults(condition) -> int:
    """The sessions matching `condition` that follow the defaults: their own rules, copied from the
    templates in one INSERT … SELECT (no row goes through Python, no text is copied), and their
    flag cleared without counting as an edit of the session (its version and date of change stay).
    Returns how many sessions took them. Kinds a session already has are left alone (a concurrent
    copy for the same session: theirs stand)."""
    ensure_templates()
    sessions = TrainingSession.__table__
    following = sa.and_(sessions.c.emails_follow_defaults.is_(True), condition)
    templates = EmailTemplate.__table__
    db.session.execute(
        insert_ignoring_duplicates(EmailRule, ["session_id", "kind"]).from_select(
            ["session_id", *RULE_FIELDS],
            sa.select(sessions.c.id, *(templates.c[field] for field in RULE_FIELDS))
            .select_from(sessions.join(templates, sa.true()))
            .where(following)
            .order_by(sessions.c.id, templates.c.id),
        )
    )
    taken = db.session.execute(
        sessions.update()
        .where(following)
        .values(emails_follow_defaults=False, updated_at=sessions.c.updated_at)
    ).rowcount
    return taken


def take_defaults_before_change() -> int:
    """A template is about to change: every session still following the defaults takes its copy
    of them as they stand (read without flushing the template's pending change)."""
    with db.session.no_autoflush:
        taken = take_defaults(sa.true())
    for loaded in list(db.session.identity_map.values()):
        if isinstance(loaded, TrainingSession):
            set_committed_value(loaded, "emails_follow_defaults", False)
    return taken


def own_rules(session: TrainingSession) -> None:
    """A session about to read or change its rules: its own copy of the defaults if it has none."""
    if session.id is not None and session.emails_follow_defaults:
        take_defaults(TrainingSession.__table__.c.id == session.id)
        set_committed_value(session, "emails_follow_defaults", False)
