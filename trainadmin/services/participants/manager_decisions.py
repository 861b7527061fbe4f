"""The manager's decision taken from their link (`manager_links.py` sends it): through the same
services as the staff's « Valider (accord du manager) » / « Refuser », recorded « par <manager> via
le lien », and the training department told. Whoever acts first wins: a demande the staff already
decided is « déjà traitée » on the link, and a link already used cannot decide again."""

from __future__ import annotations

from flask_babel import gettext

from ...models import AccessLink, EmailKind, RequestStatus, TrainingRequest
from .. import links
from ..errors import DomainError
from ..history import acting_as
from . import demandes
from .manager_links import demande_variables, send_demande_email

#: The history's actor for a decision taken from a manager's link (`history.actor_label` shows it).
LINK_ACTOR = "link:{email}"


def already_decided(request: TrainingRequest) -> bool:
    return request.status != RequestStatus.PENDING_MANAGER


def decide(link: AccessLink, accept: bool, comment: str | None) -> None:
    """The manager's decision from their link, through the staff's own services (`validate`,
    `refuse`). DomainError « déjà traitée » when the demande no longer waits for the manager."""
    request = link.request
    if already_decided(request):
        raise DomainError(gettext("This request has already been dealt with."))
    comment = (comment or "").strip() or None
    if not accept and not comment:
        raise DomainError(gettext("Say why you refuse the request."), field="comment")
    links.use(link)
    with acting_as(None, LINK_ACTOR.format(email=link.recipient)):
        if accept:
            demandes.validate(request, comment)
        else:
            demandes.refuse(request, comment)
    decision = "acceptée" if accept else "refusée"  # (a word of the e-mail's French text, as its dates)
    demande = demande_variables(request, decision=decision, comment=comment or "")
    send_demande_email(EmailKind.MANAGER_DECISION, request, demande, f"decision:{link.id}")
