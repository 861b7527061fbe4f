"""The demo's e-mail history: the enrolment confirmations its participants got, kept in the outbox
(the demo has no mail server), as « E-mails envoyés » shows them."""

from __future__ import annotations

import sqlalchemy as sa

from ...extensions import db
from ...models import OutboxMessage, OutboxState, Publication, RequestStatus, TrainingRequest, TrainingSession
from .context import Context

SUBJECT = "Confirmation d'inscription — {label}"
BODY = (
    "Bonjour {first_name},\n\n"
    "Votre inscription à la session « {label} » ({code}) est confirmée. Vous recevrez votre "
    "convocation avec le programme, les lieux et les horaires quelques jours avant le début.\n\n"
    "Le service formation"
)


def create_outbox(context: Context) -> None:
    """One kept confirmation per enrolled participant of the published sessions, at enrolment."""
    requests = db.session.scalars(
        sa.select(TrainingRequest)
        .join(TrainingSession, TrainingSession.id == TrainingRequest.session_id)
        .where(
            TrainingSession.publication == Publication.PUBLISHED,
            TrainingRequest.status == RequestStatus.ENROLLED,
        )
        .order_by(TrainingRequest.created_at, TrainingRequest.id)
    ).all()
    for request in requests:
        session, collaborator = request.session, request.collaborator
        db.session.add(
            OutboxMessage(
                dedup_key=f"demo:req:{request.id}:to:{collaborator.email.lower()}",
                session_id=session.id,
                request_id=request.id,
                kind="enrolment",
                recipient=collaborator.email,
                subject=SUBJECT.format(label=session.label)[:250],
                body=BODY.format(first_name=collaborator.first_name, label=session.label, code=session.code),
                state=OutboxState.KEPT,
                attempts=0,
                created_at=request.created_at,
            )
        )
