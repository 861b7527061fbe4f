"""What a due schedule says and to whom: one draft per recipient, rendered from the rule."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from jinja2.sandbox import SandboxedEnvironment

from ...extensions import db
from ...models import EmailSchedule, RequestStatus, TrainingRequest


@dataclass
class Draft:
    """One message to one recipient, ready for the outbox."""

    recipient: str
    subject: str
    body: str
    bcc: str | None = None
    request_id: int | None = None
    attachment_ids: list[int] = field(default_factory=list)


_ENV = SandboxedEnvironment(autoescape=False)


def messages_for_schedule(schedule: EmailSchedule) -> list[Draft]:
    """The drafts of one due schedule (rule × sequence). Minimal version: enrolled participants."""
    rule = schedule.rule
    session = rule.session
    requests = db.session.scalars(
        sa.select(TrainingRequest).where(
            TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED
        )
    ).all()
    drafts = []
    for request in requests:
        context = {"session": session, "sequence": schedule.sequence, "participant": request.collaborator}
        drafts.append(
            Draft(
                recipient=request.collaborator.email,
                subject=_ENV.from_string(rule.subject).render(context),
                body=_ENV.from_string(rule.body).render(context),
                bcc=rule.bcc,
                request_id=request.id,
            )
        )
    return drafts
