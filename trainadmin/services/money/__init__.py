"""Money: the costs of a session (type, amount, répartition, prestataire, attachments), its
financing lines and the totals."""

from __future__ import annotations

from .costs import (
    add_cost,
    add_financing,
    default_amount,
    delete_cost,
    session_costs,
    session_financing,
    totals,
)

__all__ = [
    "add_cost",
    "add_financing",
    "default_amount",
    "delete_cost",
    "session_costs",
    "session_financing",
    "totals",
]
