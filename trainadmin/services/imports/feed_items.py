"""What a partner's feed holds once read: its sessions, sequences, slots and dates, each with where
it is in the file (CSV line or JSON path), so that a problem names its place."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time

from ..errors import DomainError


class FeedError(DomainError):
    """The whole file cannot be read: the run fails with this message and nothing is imported."""


@dataclass
class FeedDate:
    where: str
    day: date | None
    start: time | None
    end: time | None
    break_minutes: int


@dataclass
class FeedSlot:
    where: str
    key: str
    values: dict = field(default_factory=dict)  # only the fields the feed gives
    dates: list[FeedDate] = field(default_factory=list)
    first: dict = field(default_factory=dict)  # CSV: each column's first value and its line


@dataclass
class FeedSequence:
    where: str
    label: str
    values: dict = field(default_factory=dict)
    slots: list[FeedSlot] = field(default_factory=list)
    first: dict = field(default_factory=dict)


@dataclass
class FeedSession:
    """One session of the feed; `errors` holds (where, message) for every problem found in it."""

    where: str
    reference: str
    values: dict = field(default_factory=dict)
    sequences: list[FeedSequence] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    digest: str | None = None  # of its rows in the file (`feed_digest`)
    known: bool = False  # its rows have the digest it was last imported from: not read further

    def first_day(self) -> date | None:
        days = [d.day for s in self.sequences for slot in s.slots for d in slot.dates if d.day]
        return min(days) if days else None


def feed_digest(salt: str, parts: Iterable[str]) -> str:
    """A session's rows, as the file gives them, in 32 hex digits: the same rows, the same digest."""
    digest = hashlib.blake2b(salt.encode(), digest_size=16)
    for part in parts:
        digest.update(b"\x1d")
        digest.update(part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def where_of(item, name: str | None = None) -> str:
    """The line of a CSV value, or the JSON path of a value (`$.sessions[0].training`)."""
    if name and item.where.startswith("$"):
        return f"{item.where}.{name}"
    return item.where
