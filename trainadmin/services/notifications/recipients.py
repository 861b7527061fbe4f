"""Who receives a rule's e-mail: the rule's recipient kinds, then its added recipients, each address
once and lower-cased; its BCC apart.

Recipient kinds (`EmailRule.recipients`, comma-separated):
- ``participants``: the enrolled collaborators (one message each, personalised)
- ``trainers``: the trainers and co-trainers of the sequence's slots
- ``organisation``: the session's organisme de formation, and the slots' own organismes
- ``location``: the contact of each slot's lieu, and its responsable d'accueil when they have an e-mail
- ``manager``: the manager of the demande's collaborator (the e-mails of a demande waiting for them)
- ``training``: the training department (« Paramètres › Organisation », its e-mail address)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import EmailRule, RequestStatus, Sequence, Slot, TrainingRequest, TrainingSession

RECIPIENT_KINDS = ("participants", "trainers", "organisation", "location", "manager", "training")
#: Who may read the participants' e-mail addresses in `{{ participants }}`: those who run the training.
SEES_PARTICIPANT_ADDRESSES = frozenset({"trainers", "organisation"})

_SEPARATORS = re.compile(r"[,;\r\n]+")


def split_addresses(text: str | None) -> list[str]:
    """Addresses typed in a field: separated by commas, semicolons or new lines."""
    return [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]


def recipient_kinds(text: str | None) -> list[str]:
    return [kind for kind in (part.strip() for part in (text or "").split(",")) if kind in RECIPIENT_KINDS]


@dataclass
class Recipient:
    email: str
    name: str = ""
    request_id: int | None = None
    participant: object | None = None  # the Collaborator when the message is for a participant
    kind: str = "extra"  # one of RECIPIENT_KINDS, or « extra » for an added address

    @property
    def sees_participant_addresses(self) -> bool:
        return self.kind in SEES_PARTICIPANT_ADDRESSES


@dataclass
class Audience:
    """Everyone a session's e-mails may go to, loaded once in a fixed number of queries."""

    session: TrainingSession
    sequences: list[Sequence]
    slots_by_sequence: dict[int, list[Slot]]
    participants: list[TrainingRequest] = field(default_factory=list)

    @property
    def all_slots(self) -> list[Slot]:
        return [slot for sequence in self.sequences for slot in self.slots_by_sequence.get(sequence.id, [])]


def audience_for(session: TrainingSession) -> Audience:
    """The session's sequences with their slots, people and places, and its enrolled participants."""
    sequences = db.session.scalars(
        sa.select(Sequence)
        .where(Sequence.session_id == session.id)
        .order_by(Sequence.position, Sequence.id)
        .options(
            selectinload(Sequence.teaching_mode),
            selectinload(Sequence.slots).options(
                selectinload(Slot.dates),
                selectinload(Slot.trainers),
                selectinload(Slot.co_trainer),
                selectinload(Slot.location),
                selectinload(Slot.room),
                selectinload(Slot.organisation),
            ),
        )
    ).all()
    participants = db.session.scalars(
        sa.select(TrainingRequest)
        .where(TrainingRequest.session_id == session.id, TrainingRequest.status == RequestStatus.ENROLLED)
        .options(selectinload(TrainingRequest.collaborator))
        .order_by(TrainingRequest.id)
    ).all()
    # The session's own relations used in messages (no query when already loaded).
    _ = session.training, session.organisation
    return Audience(
        session=session,
        sequences=list(sequences),
        slots_by_sequence={sequence.id: list(sequence.slots) for sequence in sequences},
        participants=list(participants),
    )


class _Collector:
    def __init__(self):
        self.found: dict[str, Recipient] = {}

    def add(self, email: str | None, **values) -> None:
        address = (email or "").strip().lower()
        if address and address not in self.found:
            self.found[address] = Recipient(email=address, **values)


def recipients(
    rule: EmailRule,
    audience: Audience,
    sequence: Sequence | None = None,
    only_request: TrainingRequest | None = None,
) -> list[Recipient]:
    """The « To » of each message of a rule, for one sequence (or the whole session when None).

    `only_request`: an event e-mail (enrolment, cancellation) goes to that participant only, not to
    every participant of the session.
    """
    slots = audience.slots_by_sequence.get(sequence.id, []) if sequence is not None else audience.all_slots
    collector = _Collector()
    kinds = recipient_kinds(rule.recipients)
    if "participants" in kinds:
        requests = [only_request] if only_request is not None else audience.participants
        for request in requests:
            person = request.collaborator
            collector.add(
                person.email, name=str(person), request_id=request.id, participant=person, kind="participants"
            )
    if "trainers" in kinds:
        for slot in slots:
            for trainer in [*slot.trainers, slot.co_trainer]:
                if trainer is not None:
                    collector.add(trainer.email, name=str(trainer), kind="trainers")
    if "organisation" in kinds:
        organisation = audience.session.organisation
        if organisation is not None:
            collector.add(organisation.email, name=organisation.name, kind="organisation")
        for slot in slots:
            if slot.organisation is not None:
                collector.add(slot.organisation.email, name=slot.organisation.name, kind="organisation")
    if "location" in kinds:
        for slot in slots:
            location = slot.location
            if location is not None:
                collector.add(
                    location.contact_email, name=location.contact_name or location.name, kind="location"
                )
            collector.add(slot.host_email, name=slot.host_name or "", kind="location")
    if "manager" in kinds and only_request is not None:
        manager = only_request.collaborator.manager_email
        collector.add(manager, name=manager or "", request_id=only_request.id, kind="manager")
    if "training" in kinds:
        from ..organisation import current_settings

        settings = current_settings()
        if settings is not None:
            collector.add(settings.training_email, name=settings.name, kind="training")
    for address in split_addresses(rule.extra_recipients):
        collector.add(address)
    return list(collector.found.values())


def bcc_addresses(rule: EmailRule, excluding: Iterable[str] = ()) -> list[str]:
    """The rule's BCC, each once, lower-cased, without the message's own recipient."""
    skip = {address.lower() for address in excluding}
    found = []
    for address in split_addresses(rule.bcc):
        address = address.lower()
        if address not in skip and address not in found:
            found.append(address)
    return found
