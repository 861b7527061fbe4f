"""Planning: sequences and their slots (créneaux), the dates and durations they give a session,
and the room and trainer clashes checked when a slot is saved."""

from __future__ import annotations

from .conflicts import ROOM, Clash, clash_message, clash_query, find_clashes, overlaps, room_capacity_warning
from .date_state import refresh_date_state
from .dates import derive_planning, planning_loaders, refresh_session, slot_form_errors
from .moves import move_slot_date
from .sequences import delete_sequence, move_sequence, save_sequence, sequence_errors
from .slots import SlotInput, delete_slot, parse_decimal, save_slot

__all__ = [
    "Clash",
    "ROOM",
    "SlotInput",
    "clash_message",
    "clash_query",
    "delete_sequence",
    "delete_slot",
    "derive_planning",
    "find_clashes",
    "move_sequence",
    "move_slot_date",
    "overlaps",
    "parse_decimal",
    "planning_loaders",
    "refresh_date_state",
    "refresh_session",
    "room_capacity_warning",
    "save_sequence",
    "save_slot",
    "sequence_errors",
    "slot_form_errors",
]
