"""The collaborator's manager accepts or refuses a demande from a link, without an account.

A demande that waits for the manager (« En attente de validation manager ») sends the collaborator's
`manager_email` the « Demande au manager » e-mail with a personal link (`ask_manager`). The link's
page shows the demande and asks to confirm; the decision goes through the same service as the staff's
« Valider (accord du manager) » / « Refuser » (`decide`), recorded « par <manager> via le lien », and
the training department is told (« Décision du manager »): `manager_decisions.py`.

A manager who has not answered gets « Relance du manager » after `manager_reminder_days` with a new
link (the previous one stops working); a link works `manager_link_days`; staff can send a new one
(« Renvoyer le lien au manager »). All delays are in « Paramètres › Organisation ».
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask_babel import gettext

from ...clock import local_zone
from ...extensions import db
from ...models import AccessLink, EmailKind, LinkPurpose, RequestStatus, TrainingRequest
from ...models.types import utcnow
from .. import links
from ..errors import DomainError
from ..links.urls import link_url
from ..money import session_costs, totals
from ..notifications import compose, outbox
from ..notifications.places import full_place
from ..notifications.rules import session_rule
from ..notifications.variables import short_date
from ..organisation import current_settings


@dataclass(frozen=True)
class LinkDelays:
    reminder_days: int
    link_days: int


def link_delays() -> LinkDelays:
    settings = current_settings()
    if settings is None:
        return LinkDelays(reminder_days=3, link_days=14)
    return LinkDelays(settings.manager_reminder_days, settings.manager_link_days)


def _cost_per_trainee(request: TrainingRequest) -> str:
    session = request.session
    total = totals(session, session_costs(session)).total
    if not total:
        return ""
    trainees = session.enrolled_count or session.capacity_target or session.capacity_max or 1
    amount = (total / trainees).quantize(Decimal("0.01"))
    return format_decimal(amount, format="#,##0.00", locale="fr_FR") + " €"


def _place(request: TrainingRequest) -> str:
    places = []
    for sequence in request.session.sequences:
        for slot in sequence.slots:
            if slot.location is not None:
                place = full_place(slot.location, slot.room)
                if place not in places:
                    places.append(place)
    return " ; ".join(places)


def demande_variables(request: TrainingRequest, **values) -> dict:
    collaborator = request.collaborator
    return {
        "collaborator": str(collaborator),
        "collaborator_email": collaborator.email,
        "manager_email": collaborator.manager_email or "",
        "place": _place(request),
        "cost_per_trainee": _cost_per_trainee(request),
        **values,
    }


def send_demande_email(kind: EmailKind, request: TrainingRequest, demande: dict, key: str) -> int:
    rule = session_rule(request.session, kind)
    if rule is None:
        return 0
    drafts = compose.messages_for_demande(rule, request, demande)
    return outbox.queue_messages(
        [
            draft.message(rule, outbox.demande_key(key, draft.recipient), request_id=request.id)
            for draft in drafts
        ]
    )


def ask_manager(request: TrainingRequest, *, reminder: bool = False, now: datetime | None = None) -> bool:
    """Send the demande's manager a new link (the previous one stops working) in « Demande au
    manager » (or « Relance du manager »). False when there is nobody to ask: no manager's address,
    or the demande no longer waits for the manager."""
    manager = (request.collaborator.manager_email or "").strip().lower()
    if not manager or request.status != RequestStatus.PENDING_MANAGER:
        return False
    now = now or utcnow()
    link, token = links.issue(
        LinkPurpose.MANAGER_DECISION,
        manager,
        request_id=request.id,
        valid_for=timedelta(days=link_delays().link_days),
        now=now,
    )
    if reminder:
        link.reminded_at = now
    expires = link.expires_at.astimezone(local_zone()).date()
    demande = demande_variables(request, decision_url=link_url(token), link_expires_on=short_date(expires))
    kind = EmailKind.MANAGER_REMINDER if reminder else EmailKind.MANAGER_REQUEST
    send_demande_email(kind, request, demande, f"link:{link.id}")
    db.session.flush()
    return True


def resend_to_manager(request: TrainingRequest) -> None:
    """« Renvoyer le lien au manager » (staff): a new link in a new « Demande au manager »."""
    if request.status != RequestStatus.PENDING_MANAGER:
        raise DomainError(gettext("This request no longer waits for the manager."))
    if not (request.collaborator.manager_email or "").strip():
        raise DomainError(gettext("The collaborator has no manager's e-mail address."))
    ask_manager(request)


def remind_managers(now: datetime | None = None) -> int:
    """The periodic job: each demande waiting for its manager whose last link was sent
    `manager_reminder_days` ago without a reminder gets « Relance du manager » (once per link).
    Returns how many were reminded."""
    now = now or utcnow()
    days = link_delays().reminder_days
    if days <= 0:
        return 0
    due = db.session.scalars(
        sa.select(AccessLink)
        .join(TrainingRequest, TrainingRequest.id == AccessLink.request_id)
        .where(
            AccessLink.purpose == LinkPurpose.MANAGER_DECISION,
            AccessLink.used_at.is_(None),
            AccessLink.revoked_at.is_(None),
            AccessLink.reminded_at.is_(None),
            AccessLink.created_at <= now - timedelta(days=days),
            TrainingRequest.status == RequestStatus.PENDING_MANAGER,
        )
        .order_by(AccessLink.id)
        .with_for_update(skip_locked=True, of=AccessLink)
    ).all()
    reminded = 0
    for link in due:
        link.reminded_at = now  # this link is done with: the reminder carries a new one
        if ask_manager(link.request, reminder=True, now=now):
            reminded += 1
    db.session.flush()
    return reminded


def manager_link_state(request: TrainingRequest) -> AccessLink | None:
    """The demande's latest manager's link (for the staff's page: sent, reminded, expires)."""
    return db.session.scalars(
        sa.select(AccessLink)
        .where(AccessLink.purpose == LinkPurpose.MANAGER_DECISION, AccessLink.request_id == request.id)
        .order_by(AccessLink.id.desc())
        .limit(1)
    ).first()
