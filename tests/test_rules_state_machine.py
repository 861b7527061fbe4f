"""Random sequences of what users do — create, plan, enrol, move a slot, cancel an enrolment, a
sequence or the session, duplicate — through the services every screen calls, checking after each
step what must always hold:

- no room is booked twice at the same hours;
- no session has more enrolled people than its maximum, and its counter is right;
- every change of the place or dates of a session with participants has its history line and its
  calendar change event;
- nothing is waiting in the outbox for a cancelled session, sequence or enrolment but the messages
  that tell of the cancellation.
"""

from __future__ import annotations

import os
from datetime import date, time, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from trainadmin.extensions import db as _db
from trainadmin.models import (
    OutboxMessage,
    OutboxState,
    Publication,
    RequestStatus,
    Role,
    Sequence,
    SequenceStatus,
    SessionHistory,
    Slot,
    SlotChange,
    SlotDate,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
)
from trainadmin.services import participants, planning, sessions
from trainadmin.services.errors import DomainError

from . import factories

FIRST_DAY = date(2027, 3, 1)
HOURS = [(time(9), time(12)), (time(13), time(17)), (time(9), time(17)), (time(10), time(11))]
STEPS = int(os.environ.get("STATE_MACHINE_STEPS", "30"))
EXAMPLES = int(os.environ.get("STATE_MACHINE_EXAMPLES", "30"))


class Back_office(RuleBasedStateMachine):  # noqa: N801 (reads as what it models)
    sessions_ = Bundle("sessions")
    sequences = Bundle("sequences")
    slots = Bundle("slots")
    enrolments = Bundle("enrolments")

    def __init__(self):
        super().__init__()
        self.savepoint = _db.session.begin_nested()
        self.ops = factories.make_user(Role.OPS_MANAGER)
        self.manager = factories.make_user(Role.MANAGER)
        self.training = factories.make_training(capacity_min=1, capacity_target=2, capacity_max=2)
        self.rooms = [factories.make_room(name="Salle A"), factories.make_room(name="Salle B")]
        self.people = [factories.make_collaborator() for _ in range(4)]

    def teardown(self):
        self.savepoint.rollback()

    def attempt(self, action):
        """What a screen does: the service, in its own savepoint; a refusal changes nothing."""
        try:
            with _db.session.begin_nested():
                return action()
        except DomainError:
            return None

    # --- What users do ------------------------------------------------------------------------

    @rule(target=sessions_, capacity=st.integers(1, 3))
    def create(self, capacity):
        session = sessions.new_session(
            self.training, 2027, self.ops, capacity_max=capacity, capacity_target=capacity
        )
        sessions.set_publication([session], Publication.PUBLISHED, self.ops)
        return session.id

    @rule(target=sequences, session_id=sessions_)
    def add_sequence(self, session_id):
        session = _db.session.get(TrainingSession, session_id)
        sequence = self.attempt(lambda: planning.save_sequence(session, {"label": "Jour"}, self.ops, "Ajout"))
        return sequence.id if sequence is not None else None

    @rule(
        target=slots,
        sequence_id=sequences,
        room=st.integers(0, 1),
        day=st.integers(0, 3),
        hours=st.sampled_from(HOURS),
    )
    def add_slot(self, sequence_id, room, day, hours):
        sequence = _db.session.get(Sequence, sequence_id) if sequence_id else None
        if sequence is None:
            return None
        data = self.slot(room, day, hours)
        result = self.attempt(lambda: planning.save_slot(sequence, data, self.ops, "Ajout"))
        return result.slot.id if result is not None else None

    @rule(target=enrolments, session_id=sessions_, person=st.integers(0, 3))
    def enrol(self, session_id, person):
        session = _db.session.get(TrainingSession, session_id)
        made = self.attempt(lambda: participants.enrol(session, [self.people[person].id], self.ops)[0])
        return made[0].id if made else None

    @rule(
        slot_id=slots,
        room=st.integers(0, 1),
        day=st.integers(0, 3),
        hours=st.sampled_from(HOURS),
        by_ops=st.booleans(),
    )
    def move_slot(self, slot_id, room, day, hours, by_ops):
        slot = _db.session.get(Slot, slot_id) if slot_id else None
        if slot is None:
            return
        session = slot.sequence.session
        locked = sessions.is_locked(session)
        changes_before = self.count(SlotChange, SlotChange.session_id == session.id)
        history_before = self.count(SessionHistory, SessionHistory.session_id == session.id)
        whereabouts = self.whereabouts(slot)
        user = self.ops if by_ops else self.manager
        data = self.slot(room, day, hours)
        result = self.attempt(lambda: planning.save_slot(slot.sequence, data, user, "Report", slot=slot))
        if locked and not by_ops:
            assert result is None, "a manager changed a slot of a session with participants"
        if result is None or not locked:
            return
        if self.whereabouts(slot) != whereabouts:
            event("a slot of a session with participants moved")
            assert self.count(SlotChange, SlotChange.session_id == session.id) == changes_before + 1
            assert self.count(SessionHistory, SessionHistory.session_id == session.id) == history_before + 1

    @rule(request_id=consumes(enrolments))
    def cancel_enrolment(self, request_id):
        request = _db.session.get(TrainingRequest, request_id) if request_id else None
        if request is not None and self.attempt(
            lambda: participants.cancel_enrolment(request, "collaborator", None) or True
        ):
            event("an enrolment cancelled")

    @rule(sequence_id=sequences)
    def cancel_sequence(self, sequence_id):
        sequence = _db.session.get(Sequence, sequence_id) if sequence_id else None
        if sequence is not None:
            values = {"label": sequence.label, "status": SequenceStatus.CANCELLED}
            self.attempt(
                lambda: planning.save_sequence(sequence.session, values, self.ops, "Annulée", sequence)
            )

    @rule(sequence_id=sequences)
    def restore_sequence(self, sequence_id):
        sequence = _db.session.get(Sequence, sequence_id) if sequence_id else None
        if sequence is not None and sequence.status == SequenceStatus.CANCELLED:
            values = {"label": sequence.label, "status": SequenceStatus.PLANNED}
            if self.attempt(
                lambda: planning.save_sequence(sequence.session, values, self.ops, "Rétablie", sequence)
            ):
                event("a sequence restored")

    @rule(session_id=sessions_, by_ops=st.booleans())
    def cancel_session(self, session_id, by_ops):
        session = _db.session.get(TrainingSession, session_id)
        locked = sessions.is_locked(session)
        user = self.ops if by_ops else self.manager
        done = self.attempt(
            lambda: (
                sessions.change_status(session, WorkflowStatus.CANCELLED, user, FIRST_DAY, reason="Annulée")
                or True
            )
        )
        if locked and not by_ops:
            assert done is None and session.status != WorkflowStatus.CANCELLED
        if done:
            event("a session cancelled")

    @rule(target=sessions_, session_id=sessions_)
    def duplicate(self, session_id):
        source = _db.session.get(TrainingSession, session_id)
        copy = sessions.duplicate_session(source, 2028, date(2028, 1, 3), date(2028, 1, 7), self.ops)
        sessions.set_publication([copy], Publication.PUBLISHED, self.ops)
        return copy.id

    # --- What must always hold ---------------------------------------------------------------

    @invariant()
    def no_room_booked_twice(self):
        first, second = sa.orm.aliased(SlotDate), sa.orm.aliased(SlotDate)
        slot_a, slot_b = sa.orm.aliased(Slot), sa.orm.aliased(Slot)
        seq_a, seq_b = sa.orm.aliased(Sequence), sa.orm.aliased(Sequence)
        session_a, session_b = sa.orm.aliased(TrainingSession), sa.orm.aliased(TrainingSession)
        clashes = _db.session.execute(
            sa.select(first.id, second.id)
            .select_from(first)
            .join(slot_a, slot_a.id == first.slot_id)
            .join(second, second.day == first.day)
            .join(slot_b, slot_b.id == second.slot_id)
            .join(seq_a, seq_a.id == slot_a.sequence_id)
            .join(seq_b, seq_b.id == slot_b.sequence_id)
            .join(session_a, session_a.id == seq_a.session_id)
            .join(session_b, session_b.id == seq_b.session_id)
            .where(
                # (a cancelled sequence or session holds no room)
                seq_a.status != SequenceStatus.CANCELLED,
                seq_b.status != SequenceStatus.CANCELLED,
                session_a.status != WorkflowStatus.CANCELLED,
                session_b.status != WorkflowStatus.CANCELLED,
                slot_a.room_id == slot_b.room_id,
                slot_a.id < slot_b.id,
                first.day == second.day,
                first.start_time < second.end_time,
                second.start_time < first.end_time,
            )
        ).all()
        assert clashes == []

    @invariant()
    def seats_never_above_the_maximum(self):
        rows = _db.session.execute(
            sa.select(TrainingSession.id, TrainingSession.capacity_max, TrainingSession.enrolled_count)
        ).all()
        for session_id, maximum, counter in rows:
            enrolled = self.count(
                TrainingRequest,
                TrainingRequest.session_id == session_id,
                TrainingRequest.status == RequestStatus.ENROLLED,
            )
            assert enrolled == counter and (maximum is None or enrolled <= maximum)

    @invariant()
    def nothing_waits_for_what_was_cancelled(self):
        still = OutboxMessage.state == OutboxState.PENDING
        telling = sa.or_(OutboxMessage.kind == "cancellation", OutboxMessage.calendar.like("%METHOD:CANCEL%"))
        cancelled_sessions = sa.select(TrainingSession.id).where(
            TrainingSession.status == WorkflowStatus.CANCELLED
        )
        cancelled_sequences = sa.select(Sequence.id).where(Sequence.status == SequenceStatus.CANCELLED)
        cancelled_requests = sa.select(TrainingRequest.id).where(
            TrainingRequest.status == RequestStatus.CANCELLED
        )
        waiting = _db.session.scalars(
            sa.select(OutboxMessage.id).where(
                still,
                sa.not_(telling),
                sa.or_(
                    OutboxMessage.session_id.in_(cancelled_sessions),
                    OutboxMessage.sequence_id.in_(cancelled_sequences),
                    OutboxMessage.request_id.in_(cancelled_requests),
                ),
            )
        ).all()
        assert waiting == []

    # --- Helpers ----------------------------------------------------------------------------

    def slot(self, room: int, day: int, hours) -> planning.SlotInput:
        chosen = self.rooms[room]
        start, end = hours
        return planning.SlotInput(
            location_id=chosen.location_id,
            room_id=chosen.id,
            dates=[(FIRST_DAY + timedelta(days=day), start, end, 0)],
        )

    @staticmethod
    def whereabouts(slot: Slot):
        _db.session.refresh(slot)
        return slot.room_id, [(d.day, d.start_time, d.end_time) for d in slot.dates]

    @staticmethod
    def count(model, *where) -> int:
        return _db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_rules_hold_whatever_users_do(app, db):
    run_state_machine_as_test(
        Back_office,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
