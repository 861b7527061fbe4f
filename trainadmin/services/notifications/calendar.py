"""Calendar invitations per sequence and participant (REQUEST / CANCEL): the interface.

This is the interface the events and the dispatcher call; each function writes outbox rows with
`outbox.queue_message(kind="calendar", calendar=<ics text>, invitation_id=...)` and returns how many
it queued. The calendar feature provides the real bodies; until then nothing is queued.
"""

from __future__ import annotations

from ...models import Sequence, TrainingRequest, TrainingSession


def invite(request: TrainingRequest) -> int:
    """One invitation per sequence for a newly enrolled participant."""
    return 0


def refresh_invitations(session: TrainingSession, *, notify: bool, sequence_ids=None) -> int:
    """Bring the stored invitations up to date; send those whose content changed when `notify`."""
    return 0


def cancel(
    *,
    request: TrainingRequest | None = None,
    sequence: Sequence | None = None,
    session: TrainingSession | None = None,
) -> int:
    """METHOD:CANCEL for the invitations of a demande, a sequence or a whole session."""
    return 0


def process_slot_changes(session_id: int | None = None) -> int:
    """Turn the recorded slot changes into invitation updates (or silent ones)."""
    return 0
