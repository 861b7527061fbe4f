"""A small fixed data set for « Rapports », whose figures the tests compute by hand.

Period: 2027. Trainings « Excel » (A) and « Sécurité » (B); collaborators Alpha, Bravo, Charlie,
Delta (by name).

- S1 (A, confirmed, published, capacity 4–10): taught 15/03/2027 09:00–17:00 break 60 (7 h: am + pm)
  and 16/03/2027 09:00–12:30 (3.5 h: am only); a pre-work date 01/03 and a cancelled sequence's
  date 20/03, both left out. Enrolled: Alpha, Bravo, Charlie (3 < minimum 4).
  Attendance on 15/03: Alpha am present, pm present (and signed am: not counted twice); Bravo am
  absent, pm excused (and signed pm: the mark by hand wins); Charlie signed am (present), pm not
  recorded. 16/03: Alpha pm absent, a half-day the date does not cover (left out); nothing else.
  Costs: Animation 1500 (global, supplier « Formateurs Conseil »), Repas 20 × 3 per trainee (no
  supplier). Financing: 1000 granted.
  Surveys: hot links sent to the three (Alpha and Bravo answered); responses Alpha {Clarté 4,
  Utilité 5}, Bravo {Clarté 2, Utilité "bof"}.
- S2 (B, closed, draft, capacity 2–8, population « Cadres »): 10/04/2027 13:30–17:30 (4 h, pm).
  Enrolled: Alpha, Delta. Costs: Animation 800 (supplier « Prévention SA »). Financing: 300
  requested, 100 refused. Survey: cold response of Delta {Clarté 3}.
- S3 (A, cancelled, capacity 4–10): 05/05/2027 09:00–17:00 break 60; Bravo enrolled; Animation
  999; a hot response {Clarté 1}: counted only in « Sessions par statut ».
- S4 (A, confirmed): 28/12/2026 and 04/01/2027 09:00–12:00; Bravo enrolled. Starts before the period:
  only its January date counts, in the hours per month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from trainadmin.extensions import db
from trainadmin.models import (
    AccessLink,
    Attendance,
    Cost,
    CostSplit,
    CostType,
    Evaluation,
    Financing,
    FinancingStatus,
    HalfDay,
    LinkPurpose,
    Population,
    Presence,
    Publication,
    SequenceStatus,
    Signature,
    SignatureVia,
    Slot,
    SlotDate,
    Supplier,
    SurveyKind,
    SurveyResponse,
    WorkflowStatus,
)
from trainadmin.services import tallies
from trainadmin.services.planning import dates as planning

from .factories import enrol, make_collaborator, make_named, make_sequence, make_session, make_training


@dataclass
class ReportData:
    trainings: dict
    sessions: dict
    population: Population


def _date(slot, day: date, start: time, end: time, pause: int = 0) -> SlotDate:
    slot_date = SlotDate(slot=slot, day=day, start_time=start, end_time=end, break_minutes=pause)
    db.session.add(slot_date)
    return slot_date


def _slot(session, days, start, end, pause=0, **sequence_kw):
    sequence = make_sequence(session, **sequence_kw)
    slot = Slot(sequence=sequence)
    db.session.add(slot)
    made = [_date(slot, day, start, end, pause) for day in days]
    db.session.flush()
    planning.refresh_session(session)
    db.session.flush()
    return sequence, made


def _mark(request, slot_date, half, value):
    db.session.add(Attendance(request=request, slot_date=slot_date, half_day=half, value=value))


def _sign(request, slot_date, half):
    db.session.add(
        Signature(
            request_id=request.id,
            slot_date_id=slot_date.id,
            half_day=half,
            image=b"png",
            image_sha256="0" * 64,
            ip="127.0.0.1",
            user_agent="test",
            via=SignatureVia.LINK,
        )
    )


def _link(request, sequence, used: bool, n: int):
    db.session.add(
        AccessLink(
            purpose=LinkPurpose.SURVEY,
            token_hash=f"{n:064d}",
            recipient=request.collaborator.email,
            request_id=request.id,
            sequence_id=sequence.id,
            survey_kind=SurveyKind.HOT,
            used_at=db.func.now() if used else None,
        )
    )


def build() -> ReportData:
    excel = make_training(name="Excel", capacity_min=4, capacity_target=6, capacity_max=10)
    safety = make_training(name="Sécurité", capacity_min=2, capacity_target=4, capacity_max=8)
    alpha, bravo, charlie, delta = (
        make_collaborator(last_name=name, first_name="Prénom", department="Finance")
        for name in ("Alpha", "Bravo", "Charlie", "Delta")
    )
    animation = make_named(CostType, name="Animation")
    meals = make_named(CostType, name="Repas")
    consult = make_named(Supplier, name="Formateurs Conseil")
    prevention = make_named(Supplier, name="Prévention SA")
    evaluation = make_named(Evaluation, name="Satisfaction", questions="Clarté\nUtilité")
    cadres = make_named(Population, name="Cadres")

    s1 = make_session(
        training=excel,
        label="Excel avancé",
        status=WorkflowStatus.CONFIRMED,
        publication=Publication.PUBLISHED,
        capacity_min=4,
        capacity_target=6,
        capacity_max=10,
    )
    _slot(s1, [date(2027, 3, 1)], time(9), time(10), is_prework=True)
    s1_sequence, (d15,) = _slot(s1, [date(2027, 3, 15)], time(9), time(17), 60)
    d16 = _date(s1_sequence.slots[0], date(2027, 3, 16), time(9), time(12, 30))
    db.session.flush()
    _slot(s1, [date(2027, 3, 20)], time(9), time(17), 60, status=SequenceStatus.CANCELLED)
    planning.refresh_session(s1)
    r_alpha, r_bravo, r_charlie = (enrol(s1, who) for who in (alpha, bravo, charlie))
    _mark(r_alpha, d15, HalfDay.MORNING, Presence.PRESENT)
    _mark(r_alpha, d15, HalfDay.AFTERNOON, Presence.PRESENT)
    _mark(r_bravo, d15, HalfDay.MORNING, Presence.ABSENT)
    _mark(r_bravo, d15, HalfDay.AFTERNOON, Presence.EXCUSED)
    _mark(r_alpha, d16, HalfDay.AFTERNOON, Presence.ABSENT)
    db.session.flush()
    _sign(r_alpha, d15, HalfDay.MORNING)
    _sign(r_bravo, d15, HalfDay.AFTERNOON)
    _sign(r_charlie, d15, HalfDay.MORNING)
    db.session.add_all(
        [
            Cost(session=s1, cost_type=animation, amount=Decimal("1500"), supplier=consult),
            Cost(session=s1, cost_type=meals, amount=Decimal("20"), split=CostSplit.PER_TRAINEE, quantity=3),
            Financing(session=s1, funder="OPCO", amount=Decimal("1000"), status=FinancingStatus.GRANTED),
        ]
    )
    for n, (request, used) in enumerate(((r_alpha, True), (r_bravo, True), (r_charlie, False)), start=1):
        _link(request, s1_sequence, used, n)
    db.session.add_all(
        [
            SurveyResponse(
                session_id=s1.id,
                request_id=r_alpha.id,
                evaluation=evaluation,
                kind=SurveyKind.HOT,
                sequence_id=s1_sequence.id,
                answers={"Clarté": 4, "Utilité": 5},
            ),
            SurveyResponse(
                session_id=s1.id,
                request_id=r_bravo.id,
                evaluation=evaluation,
                kind=SurveyKind.HOT,
                sequence_id=s1_sequence.id,
                answers={"Clarté": 2, "Utilité": "bof"},
            ),
        ]
    )

    s2 = make_session(
        training=safety,
        label="Sécurité incendie",
        status=WorkflowStatus.CLOSED,
        publication=Publication.DRAFT,
        capacity_min=2,
        capacity_target=4,
        capacity_max=8,
    )
    s2.populations.append(cadres)
    _slot(s2, [date(2027, 4, 10)], time(13, 30), time(17, 30))
    enrol(s2, alpha)
    r_delta = enrol(s2, delta)
    db.session.add_all(
        [
            Cost(session=s2, cost_type=animation, amount=Decimal("800"), supplier=prevention),
            Financing(session=s2, funder="Région", amount=Decimal("300"), status=FinancingStatus.REQUESTED),
            Financing(session=s2, funder="État", amount=Decimal("100"), status=FinancingStatus.REFUSED),
            SurveyResponse(
                session_id=s2.id,
                request_id=r_delta.id,
                evaluation=evaluation,
                kind=SurveyKind.COLD,
                answers={"Clarté": 3},
            ),
        ]
    )

    s3 = make_session(
        training=excel, label="Excel annulé", status=WorkflowStatus.CANCELLED, capacity_min=4, capacity_max=10
    )
    _slot(s3, [date(2027, 5, 5)], time(9), time(17), 60)
    enrol(s3, bravo)
    db.session.add_all(
        [
            Cost(session=s3, cost_type=animation, amount=Decimal("999")),
            SurveyResponse(
                session_id=s3.id, evaluation=evaluation, kind=SurveyKind.HOT, answers={"Clarté": 1}
            ),
        ]
    )

    s4 = make_session(training=excel, label="Excel d'hiver", status=WorkflowStatus.CONFIRMED, capacity_max=10)
    _slot(s4, [date(2026, 12, 28), date(2027, 1, 4)], time(9), time(12))
    enrol(s4, bravo)
    tallies.recount_all()  # rows written here directly, as the activity seeder writes them
    return ReportData(
        trainings={"A": excel, "B": safety},
        sessions={"S1": s1, "S2": s2, "S3": s3, "S4": s4},
        population=cadres,
    )


def build_more() -> None:
    """Ten more sessions like S1 and S2, each with participants, marks, costs and responses: the
    statements of a report stay the same."""
    for _ in range(5):
        build_copy()


def build_copy() -> None:
    training = make_training()
    session = make_session(training=training, status=WorkflowStatus.CONFIRMED, capacity_min=1, capacity_max=5)
    _sequence, (day,) = _slot(session, [date(2027, 6, 7)], time(9), time(17), 60)
    cost_type = make_named(CostType)
    evaluation = make_named(Evaluation, questions="Q")
    for _ in range(3):
        request = enrol(session, make_collaborator())
        _mark(request, day, HalfDay.MORNING, Presence.PRESENT)
        db.session.add(
            SurveyResponse(
                session_id=session.id, request_id=request.id, evaluation=evaluation, answers={"Q": 4}
            )
        )
    db.session.add(
        Cost(session=session, cost_type=cost_type, amount=Decimal("10"), supplier=make_named(Supplier))
    )
    tallies.recount_all()
