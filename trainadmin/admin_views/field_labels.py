"""The labels of the fields of a session and of what belongs to it, as forms, lists and the history
show them (the guide's words, through the translation catalogue)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CAPACITY_LABELS = {
    "capacity_min": _l("Minimum capacity"),
    "capacity_target": _l("Target capacity"),
    "capacity_max": _l("Maximum capacity"),
}

SESSION_LABELS = {
    "code": _l("Session code"),
    "year": _l("Year"),
    "training": _l("Training"),
    "label": _l("Title"),
    "certification": _l("Certification"),
    "session_type": _l("Session type"),
    "organisation": _l("Training organisation"),
    "dispositif": _l("Scheme"),
    "funding_eligible": _l("Eligible for funding"),
    "comments": _l("Comments"),
    "populations": _l("Population"),
    "publication": _l("Published in the client application"),
    "status": _l("Workflow status"),
    "evaluation": _l("Evaluation"),
    "convocation_comment": _l("Convocation notification comment"),
    "organisation_comment": _l("Training organisation notification comment"),
    "calendar_invitations": _l("Calendar invitations"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "duration_days": _l("Duration in days"),
    "duration_hours": _l("Duration in hours"),
    "sequence_count": _l("Sequences"),
    "enrolled_count": _l("Enrolled"),
    "origin": _l("Origin"),
    "missing_from_feed": _l("Absent from the partner's feed"),
    "sequences": _l("Sequences"),
    "training.name": _l("Training"),
    "change_reason": _l("Reason for the change"),
    "cancel_reason": _l("Reason for the cancellation"),
    **CAPACITY_LABELS,
}

SEQUENCE_LABELS = {
    "label": _l("Title"),
    "position": _l("Order"),
    "teaching_mode": _l("Teaching method"),
    "url": _l("Training URL"),
    "status": _l("Sequence status"),
    "is_prework": _l("Pre-work"),
    "hot_survey_enabled": _l("Hot survey"),
    "hot_survey_evaluation": _l("Hot survey questionnaire"),
    "hot_survey_delay_days": _l("Hot survey delay (days after the end)"),
    "cold_survey_enabled": _l("Cold survey"),
    "cold_survey_evaluation": _l("Cold survey questionnaire"),
    "cold_survey_delay_days": _l("Cold survey delay (days after the end)"),
}

SLOT_LABELS = {
    "sequence.session.code": _l("Session"),
    "sequence": _l("Sequence"),
    "dates": _l("Dates"),
    "location": _l("Location"),
    "room": _l("Room"),
    "trainers": _l("Trainers"),
    "co_trainer": _l("Co-trainer"),
    "host_name": _l("Host"),
    "host_email": _l("Host e-mail"),
    "organisation": _l("Training organisation"),
    "organisation_comment": _l("Training organisation notification comment"),
    "location_comment": _l("Location notification comment"),
    "trainer_comment": _l("Trainer file notification comment"),
    "duration_days": _l("Duration in days"),
    "duration_hours": _l("Duration in hours"),
}

EMAIL_RULE_LABELS = {
    "enabled": _l("Enabled"),
    "delay_days": _l("Delay in days"),
    "extra_recipients": _l("Added recipients"),
    "bcc": _l("BCC recipients"),
    "subject": _l("Subject"),
    "body": _l("Body"),
}

COST_LABELS = {
    "cost_type": _l("Cost type"),
    "amount": _l("Amount"),
    "split": _l("Split"),
    "quantity": _l("Quantity"),
    "supplier": _l("Supplier"),
    "comment": _l("Comment"),
    "attachment": _l("Attachment"),
}

FINANCING_LABELS = {
    "funder": _l("Funder"),
    "dispositif": _l("Scheme"),
    "amount": _l("Amount"),
    "status": _l("Status"),
}

#: The labels of each kind of history entry's fields (the session's own for an entry about it).
FIELD_LABELS = {
    "session": {
        **SESSION_LABELS,
        "cancel_reason": _l("Reason for the cancellation"),
        "duplicated_from": _l("Duplicated from"),
        "external_ref": _l("Partner's reference"),
    },
    "sequence": {**SEQUENCE_LABELS, "position": _l("Order")},
    "slot": {**SLOT_LABELS, "calendar_update": _l("Calendar invitations")},
    "cost": COST_LABELS,
    "financing": FINANCING_LABELS,
    "email_rule": {**EMAIL_RULE_LABELS, "sequence": _l("Sequence"), "email_action": _l("Action")},
    "participant": {"request_status": _l("Status of the request")},
    "document": {"document_type": _l("Document type"), "attached_to": _l("Attached to")},
    "attendance": {},
}
