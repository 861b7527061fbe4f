"""Organisation: who sends the convocations and sign-in sheets (name, address, logo), the training
department's contact for questions and who signs: one row, read by the PDFs, changed by
administrators through `update_organisation` only."""

from __future__ import annotations

from .settings import (
    ADDRESS_MAX_LINES,
    DELAY_FIELDS,
    FIELDS,
    LOGO_MAX_BYTES,
    Sender,
    current_settings,
    letterhead,
    logo_image,
    logo_limit,
    sender,
    update_organisation,
)

__all__ = [
    "ADDRESS_MAX_LINES",
    "DELAY_FIELDS",
    "FIELDS",
    "LOGO_MAX_BYTES",
    "Sender",
    "current_settings",
    "letterhead",
    "logo_image",
    "logo_limit",
    "sender",
    "update_organisation",
]
