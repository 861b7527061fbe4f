"""Sessions with participants, e-mail rules and due schedules, for the delivery tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from jinja2.sandbox import SandboxedEnvironment

from trainadmin.extensions import db
from trainadmin.models import (
    EmailAnchor,
    EmailKind,
    EmailRule,
    EmailSchedule,
    Publication,
    ScheduleState,
    TrainingSession,
    utcnow,
)
from trainadmin.services.notifications import compose

from . import factories

ANCHORS = {
    EmailKind.ENROLMENT: EmailAnchor.ENROLMENT,
    EmailKind.CANCELLATION: EmailAnchor.CANCELLATION,
}


def published_session(participants: int = 2, **kw) -> TrainingSession:
    """A published session with one sequence (one slot) and `participants` enrolled collaborators."""
    session = factories.make_session(publication=Publication.PUBLISHED, **kw)
    factories.make_slot(factories.make_sequence(session), days=[date(2027, 5, 10)])
    for _ in range(participants):
        factories.enrol(session)
    return session


def make_rule(session: TrainingSession, kind: EmailKind = EmailKind.CONVOCATION, **kw) -> EmailRule:
    kw.setdefault("anchor", ANCHORS.get(kind, EmailAnchor.SEQUENCE_START))
    kw.setdefault("subject", f"{kind.value.capitalize()} de la session")
    kw.setdefault("body", "Bonjour,\nVoici les informations de votre formation.")
    kw.setdefault("recipients", "participants")
    rule = EmailRule(session=session, kind=kind, **kw)
    db.session.add(rule)
    db.session.flush()
    return rule


def due_schedule(
    session: TrainingSession,
    kind: EmailKind = EmailKind.CONVOCATION,
    due_at: datetime | None = None,
    **rule_kw,
) -> EmailSchedule:
    """A schedule of `kind` for the session's first sequence, due a minute ago unless told."""
    rule = make_rule(session, kind, **rule_kw)
    schedule = EmailSchedule(
        rule=rule,
        sequence=session.sequences[0],
        due_at=due_at or utcnow() - timedelta(minutes=1),
        state=ScheduleState.PLANNED,
    )
    db.session.add(schedule)
    db.session.flush()
    return schedule


_ENV = SandboxedEnvironment(autoescape=False)


def _event_drafts(rule: EmailRule, request) -> list[compose.Draft]:
    """The event drafts to the participant, rendered from the rule, as the e-mail rules define them."""
    context = {"session": rule.session, "participant": request.collaborator}
    return [
        compose.Draft(
            recipient=request.collaborator.email,
            subject=_ENV.from_string(rule.subject).render(context),
            body=_ENV.from_string(rule.body).render(context),
            bcc=rule.bcc,
            request_id=request.id,
        )
    ]


@pytest.fixture
def event_drafts(monkeypatch):
    """`compose.messages_for_event` comes with the e-mail rules; where it is not there yet, the
    same interface rendered from the rule's own subject and body."""
    if not hasattr(compose, "messages_for_event"):
        monkeypatch.setattr(compose, "messages_for_event", _event_drafts, raising=False)
