"""The default e-mails (« Modèles d'e-mails » created by `ensure_templates`): their settings here,
their texts in `templates/emails/defaults/<kind>.txt`, where they can be read and edited as e-mails.

A text file holds the subject on its first line, an empty line, then the body; the file's final
newline is not part of the body. The files are read once, as UTF-8.
"""

from __future__ import annotations

import functools
from datetime import time
from importlib import resources

from ...models import EmailAnchor, EmailKind

TEXTS = resources.files("trainadmin") / "templates" / "emails" / "defaults"

#: What a default e-mail is besides its text; `enabled` is True and `send_time` None unless given.
DEFAULT_TEMPLATES: tuple[dict, ...] = (
    {
        "kind": EmailKind.ENROLMENT,
        "name": "Confirmation d'inscription",
        "anchor": EmailAnchor.ENROLMENT,
        "delay_days": 0,
        "recipients": "participants",
    },
    {
        "kind": EmailKind.CONVOCATION,
        "name": "Convocation",
        "anchor": EmailAnchor.SEQUENCE_START,
        "delay_days": -7,
        "recipients": "participants",
    },
    {
        "kind": EmailKind.TRAINER_FILE,
        "name": "Dossier formateur",
        "anchor": EmailAnchor.SEQUENCE_START,
        "delay_days": -10,
        "recipients": "trainers",
    },
    {
        "kind": EmailKind.ORGANISATION,
        "name": "Organisme de formation",
        "anchor": EmailAnchor.SEQUENCE_START,
        "delay_days": -10,
        "recipients": "organisation",
    },
    {
        "kind": EmailKind.LOCATION,
        "name": "Lieu",
        "anchor": EmailAnchor.SEQUENCE_START,
        "delay_days": -7,
        "recipients": "location",
    },
    {
        "kind": EmailKind.REMINDER,
        "name": "Rappel",
        "anchor": EmailAnchor.SEQUENCE_START,
        "delay_days": -1,
        "recipients": "participants",
    },
    {
        "kind": EmailKind.HOT_SURVEY,
        "name": "Enquête à chaud",
        "anchor": EmailAnchor.SEQUENCE_END,
        "delay_days": 0,
        "send_time": time(17, 30),
        "recipients": "participants",
    },
    {
        "kind": EmailKind.COLD_SURVEY,
        "name": "Enquête à froid",
        "anchor": EmailAnchor.SEQUENCE_END,
        "delay_days": 60,
        "recipients": "participants",
    },
    {
        "kind": EmailKind.CANCELLATION,
        "name": "Annulation",
        "anchor": EmailAnchor.CANCELLATION,
        "delay_days": 0,
        "recipients": "participants",
    },
    {
        "kind": EmailKind.SIGNIN_LINKS,
        "name": "Émargement du jour",
        "anchor": EmailAnchor.SIGNIN_DAY,
        "delay_days": 0,
        "send_time": time(7, 0),
        "recipients": "participants",
    },
    {
        "kind": EmailKind.SURVEY_REMINDER,
        "name": "Relance enquête",
        "anchor": EmailAnchor.SURVEY,
        "delay_days": 0,
        "recipients": "participants",
    },
    {
        "kind": EmailKind.MANAGER_REQUEST,
        "name": "Demande au manager",
        "anchor": EmailAnchor.REQUEST,
        "delay_days": 0,
        "recipients": "manager",
    },
    {
        "kind": EmailKind.MANAGER_REMINDER,
        "name": "Relance du manager",
        "anchor": EmailAnchor.REQUEST,
        "delay_days": 0,
        "recipients": "manager",
    },
    {
        "kind": EmailKind.MANAGER_DECISION,
        "name": "Décision du manager",
        "anchor": EmailAnchor.REQUEST,
        "delay_days": 0,
        "recipients": "training",
    },
)

#: The order of the rules on the session's « E-mails » tab.
KIND_ORDER = [template["kind"] for template in DEFAULT_TEMPLATES]


def kind_position(kind: EmailKind) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


@functools.cache
def default_text(kind: EmailKind) -> tuple[str, str]:
    """(subject, body) of a kind's default e-mail, from its text file."""
    name = f"{EmailKind(kind).value}.txt"
    subject, _, rest = (TEXTS / name).read_text(encoding="utf-8").partition("\n")
    if not subject or not rest.startswith("\n") or not rest.endswith("\n"):
        raise ValueError(f"{name}: expected the subject, an empty line, then the body and a final newline")
    return subject, rest[1:-1]


def default_templates() -> list[dict]:
    """The default e-mails with their texts, as `ensure_templates` writes them."""
    return [
        {**settings, **dict(zip(("subject", "body"), default_text(settings["kind"]), strict=True))}
        for settings in DEFAULT_TEMPLATES
    ]
