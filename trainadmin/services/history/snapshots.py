"""What the history compares: each domain object as a dict of its fields, valued as a person reads
them (see values.py), and the name of what a change is about (`target`)."""

from __future__ import annotations

from ...models import Cost, Document, EmailRule, Financing, Sequence, Slot, TrainingRequest, TrainingSession
from . import values as v

TARGET_LENGTH = 200


def target(kind: str, label: str | None = None) -> str:
    """What a change is about: a kind (sequence, slot, cost…) and the name it had then."""
    text = f"{kind}:{(label or '').strip()}"
    return text if len(text) <= TARGET_LENGTH else text[: TARGET_LENGTH - 1] + "…"


def session_fields(session: TrainingSession) -> dict:
    return {
        "training": v.name(session.training),
        "year": v.number(session.year),
        "label": v.text(session.label),
        "certification": v.name(session.certification),
        "session_type": v.enum_value(session.session_type),
        "organisation": v.name(session.organisation),
        "capacity_min": v.number(session.capacity_min),
        "capacity_target": v.number(session.capacity_target),
        "capacity_max": v.number(session.capacity_max),
        "dispositif": v.name(session.dispositif),
        "funding_eligible": v.boolean(session.funding_eligible),
        "comments": v.text(session.comments),
        "populations": v.names(session.populations),
        "evaluation": v.name(session.evaluation),
        "convocation_comment": v.text(session.convocation_comment),
        "organisation_comment": v.text(session.organisation_comment),
        "calendar_invitations": v.boolean(session.calendar_invitations),
        "publication": v.enum_value(session.publication),
        "status": v.enum_value(session.status),
        "cancel_reason": v.text(session.cancel_reason),
    }


def sequence_fields(sequence: Sequence) -> dict:
    return {
        "label": v.text(sequence.label),
        "teaching_mode": v.name(sequence.teaching_mode),
        "url": v.text(sequence.url),
        "status": v.enum_value(sequence.status),
        "is_prework": v.boolean(sequence.is_prework),
        "hot_survey_enabled": v.boolean(sequence.hot_survey_enabled),
        "hot_survey_evaluation": v.name(sequence.hot_survey_evaluation),
        "hot_survey_delay_days": v.number(sequence.hot_survey_delay_days),
        "cold_survey_enabled": v.boolean(sequence.cold_survey_enabled),
        "cold_survey_evaluation": v.name(sequence.cold_survey_evaluation),
        "cold_survey_delay_days": v.number(sequence.cold_survey_delay_days),
    }


def sequence_target(sequence: Sequence) -> str:
    return target("sequence", sequence.label)


def slot_fields(slot: Slot) -> dict:
    return {
        "location": v.name(slot.location),
        "room": v.name(slot.room),
        "dates": v.slot_dates(slot.dates),
        "trainers": v.names(slot.trainers),
        "co_trainer": v.name(slot.co_trainer),
        "host_name": v.text(slot.host_name),
        "host_email": v.text(slot.host_email),
        "organisation": v.name(slot.organisation),
        "organisation_comment": v.text(slot.organisation_comment),
        "location_comment": v.text(slot.location_comment),
        "trainer_comment": v.text(slot.trainer_comment),
        "duration_days": v.decimal(slot.duration_days),
        "duration_hours": v.decimal(slot.duration_hours),
    }


def slot_target(sequence: Sequence) -> str:
    """A slot is named by its sequence (its dates are among its fields)."""
    return target("slot", sequence.label)


def cost_fields(cost: Cost) -> dict:
    return {
        "cost_type": v.name(cost.cost_type),
        "amount": v.decimal(cost.amount, money=True),
        "split": v.enum_value(cost.split),
        "quantity": v.number(cost.quantity),
        "supplier": v.name(cost.supplier),
        "comment": v.text(cost.comment),
    }


def cost_target(cost: Cost) -> str:
    return target("cost", str(cost.cost_type) if cost.cost_type is not None else None)


def financing_fields(financing: Financing) -> dict:
    return {
        "funder": v.text(financing.funder),
        "dispositif": v.name(financing.dispositif),
        "amount": v.decimal(financing.amount, money=True),
        "status": v.enum_value(financing.status),
    }


def financing_target(financing: Financing) -> str:
    return target("financing", financing.funder)


def rule_fields(rule: EmailRule, text) -> dict:
    """`text`: the rule's subject and body as it reads them (its own, or its template's)."""
    return {
        "enabled": v.boolean(rule.enabled),
        "delay_days": v.number(rule.delay_days),
        "extra_recipients": v.text(rule.extra_recipients),
        "bcc": v.text(rule.bcc),
        "subject": v.text(text.subject),
        "body": v.text(text.body),
    }


def rule_target(rule: EmailRule) -> str:
    return target("email_rule", rule.kind.value)


def participant_target(request: TrainingRequest) -> str:
    return target("participant", str(request.collaborator) if request.collaborator is not None else None)


def document_target(document: Document) -> str:
    return target("document", document.original_name)
