"""The rules of a session's life, at the service level."""

from __future__ import annotations

import threading
from datetime import date, datetime, time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import (
    Attendance,
    CertificationResult,
    Cost,
    CostSplit,
    Document,
    EmailKind,
    EmailRule,
    Financing,
    HalfDay,
    Origin,
    Presence,
    Publication,
    Role,
    SequenceStatus,
    SessionHistory,
    SessionType,
    SurveyResponse,
    TrainingSession,
    WorkflowStatus,
)
from trainadmin.services import sessions as service
from trainadmin.services.errors import DomainError, ValidationFailed
from trainadmin.services.notifications.default_rules import ensure_templates
from trainadmin.services.sessions.creation import FORM_FIELDS

from . import factories
from .conftest import history_lines, need


def _full_training():
    return factories.make_training(
        name="Habilitation électrique",
        certification=factories.make_named(factories.Certification, name="B1V"),
        session_type=SessionType.INTER,
        organisation=factories.make_named(factories.TrainingOrganisation, name="Apave"),
        capacity_min=3,
        capacity_target=6,
        capacity_max=10,
        dispositif=factories.make_named(factories.Dispositif, name="CPF"),
        funding_eligible=True,
        comments="Prévoir les EPI",
        evaluation=factories.make_named(factories.Evaluation, name="Satisfaction"),
    )


# --- Create ---------------------------------------------------------------------------------


def test_new_session_takes_the_training_defaults(db):
    training = _full_training()
    session = service.new_session(training, 2027)
    assert session.code == "2027-0001"
    assert (session.label, session.certification, session.session_type) == (
        "Habilitation électrique",
        training.certification,
        SessionType.INTER,
    )
    assert (session.capacity_min, session.capacity_target, session.capacity_max) == (3, 6, 10)
    assert session.organisation == training.organisation and session.dispositif == training.dispositif
    assert session.funding_eligible is True and session.comments == "Prévoir les EPI"
    assert session.evaluation == training.evaluation
    assert session.publication == Publication.DRAFT and session.status == WorkflowStatus.CREATED


def test_given_values_win_over_defaults(db):
    session = service.new_session(_full_training(), 2028, label="Session spéciale", capacity_max=12)
    assert session.label == "Session spéciale" and session.capacity_max == 12
    assert session.code == "2028-0001"


@pytest.mark.parametrize(
    ("values", "field"),
    [({"capacity_min": 8, "capacity_target": 6}, "capacity_min"), ({"label": " "}, "label")],
)
def test_bad_values_are_refused(db, values, field):
    with pytest.raises(ValidationFailed) as refused:
        service.new_session(_full_training(), 2027, **values)
    assert field in refused.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 0


def test_year_outside_a_sane_range_is_refused(db):
    with pytest.raises(ValidationFailed) as refused:
        service.new_session(_full_training(), 1999)
    assert "year" in refused.value.errors


def test_codes_are_never_reused(db):
    first = service.new_session(_full_training(), 2027)
    db.session.delete(first)
    db.session.flush()
    assert service.allocate_code(2027) == "2027-0002"


def test_concurrent_creators_get_distinct_codes(app, committed_db, main_backend):
    if main_backend != "postgresql":
        need("PostgreSQL", "concurrent creators need a server database (SQLite serialises writers)")
    training_id = factories.make_training().id
    committed_db.session.commit()
    codes: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def create():
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(5):
                    session = service.new_session(_db.session.get(factories.Training, training_id), 2030)
                    codes.append(session.code)
                    _db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(codes) == 40 and len(set(codes)) == 40
    assert sorted(codes) == [f"2030-{n:04d}" for n in range(1, 41)]


def test_a_batch_of_codes_is_one_statement_per_year_and_follows_the_single_ones(db, count_queries):
    assert service.allocate_code(2027) == "2027-0001"
    assert service.allocate_codes([2028, 2029]) == ["2028-0001", "2029-0001"]  # first of their year
    with count_queries() as counted:
        codes = service.allocate_codes([2027, 2028, 2027, 2027, 2028])
    assert codes == ["2027-0002", "2028-0002", "2027-0003", "2027-0004", "2028-0003"]
    assert len(counted.statements) == 2, counted.statements  # one per year, whatever the number of codes
    assert service.allocate_code(2027) == "2027-0005"  # never reused
    assert service.allocate_codes([]) == []


def test_a_batch_of_codes_refuses_an_insane_year(db):
    with pytest.raises(DomainError):
        service.allocate_codes([2027, 1999])
    assert service.allocate_code(2027) == "2027-0001"  # nothing was taken


def test_concurrent_batches_and_single_creators_get_distinct_codes(app, committed_db, main_backend):
    if main_backend != "postgresql":
        need("PostgreSQL", "concurrent creators need a server database (SQLite serialises writers)")
    codes: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def allocate(batch: bool):
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(5):
                    taken = service.allocate_codes([2031] * 20) if batch else [service.allocate_code(2031)]
                    _db.session.commit()
                    codes.extend(taken)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=allocate, args=(n % 2 == 0,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(codes) == [f"2031-{n:04d}" for n in range(1, 3 * 5 * 20 + 3 * 5 + 1)]


# --- Duplicate ------------------------------------------------------------------------------


@pytest.fixture
def rich_session(db):
    """A session with everything the guide lists, copied or not."""
    training = _full_training()
    source = service.new_session(
        training,
        2026,
        label="Habilitation — Lyon",
        convocation_comment="Venir avec ses EPI",
        organisation_comment="Facturer après la session",
        calendar_invitations=False,
    )
    population = factories.make_named(factories.Population, name="Techniciens")
    source.populations.append(population)
    mode = factories.make_named(factories.TeachingMode, name="Présentiel")
    evaluation = factories.make_named(factories.Evaluation, name="À froid")
    first = factories.make_sequence(source, label="Théorie", teaching_mode=mode, position=0)
    second = factories.make_sequence(
        source,
        label="Pratique",
        position=1,
        url="https://lms.example.com/b1v",
        status=SequenceStatus.EXTERNAL,
        is_prework=True,
        hot_survey_enabled=True,
        hot_survey_evaluation=training.evaluation,
        hot_survey_delay_days=1,
        cold_survey_enabled=True,
        cold_survey_evaluation=evaluation,
        cold_survey_delay_days=45,
    )
    slot = factories.make_slot(first, days=[date(2026, 9, 14)])
    factories.make_slot(second, days=[date(2026, 9, 7)])
    request = factories.enrol(source)
    cost_type = factories.make_named(factories.CostType, name="Animation")
    cost = Cost(session=source, cost_type=cost_type, amount=Decimal("900"), split=CostSplit.GLOBAL)
    db.session.add_all(
        [
            cost,
            Financing(session=source, funder="OPCO", amount=Decimal("500")),
            Attendance(
                request=request, slot_date=slot.dates[0], half_day=HalfDay.MORNING, value=Presence.PRESENT
            ),
            CertificationResult(request=request, obtained=True, obtained_on=date(2026, 9, 14)),
            Document(
                session_id=source.id,
                original_name="convention.pdf",
                stored_name="abc",
                content_type="application/pdf",
                size=10,
            ),
            SurveyResponse(
                session_id=source.id, request_id=request.id, evaluation=training.evaluation, answers={"q": 4}
            ),
        ]
    )
    # « Créer » gave the session its own e-mail rules; one of them is changed.
    convocation = db.session.scalars(
        sa.select(EmailRule).where(EmailRule.session_id == source.id, EmailRule.kind == EmailKind.CONVOCATION)
    ).one()
    convocation.enabled, convocation.delay_days, convocation.bcc = False, -5, "rh@example.com"
    db.session.flush()
    return source


def _duplicate(source, year=2027):
    return service.duplicate_session(source, year, date(2027, 9, 6), date(2027, 9, 17))


def test_duplicate_copies_every_field_of_the_creation_form(rich_session):
    copy = _duplicate(rich_session)
    for field in FORM_FIELDS:
        assert getattr(copy, field) == getattr(rich_session, field), field
    assert copy.populations == rich_session.populations


def test_duplicate_gets_a_new_code_from_the_chosen_year(rich_session):
    assert _duplicate(rich_session, 2027).code == "2027-0001"
    assert _duplicate(rich_session, 2028).code == "2028-0001"


def test_duplicate_is_a_draft_in_status_created(rich_session):
    rich_session.publication = Publication.PUBLISHED
    rich_session.status = WorkflowStatus.CONFIRMED
    copy = _duplicate(rich_session)
    assert copy.publication == Publication.DRAFT
    assert copy.status == WorkflowStatus.CREATED
    assert copy.origin == Origin.DUPLICATED and copy.duplicated_from == rich_session


def test_duplicate_copies_the_sequences_in_order_with_their_attributes(rich_session):
    copy = _duplicate(rich_session)
    assert [s.label for s in copy.sequences] == ["Théorie", "Pratique"]
    for original, copied in zip(rich_session.sequences, copy.sequences, strict=True):
        for field in service.SEQUENCE_FIELDS:
            assert getattr(copied, field) == getattr(original, field), field


def test_duplicate_copies_hot_and_cold_survey_settings(rich_session):
    copied = _duplicate(rich_session).sequences[1]
    assert (copied.hot_survey_enabled, copied.hot_survey_delay_days) == (True, 1)
    assert copied.hot_survey_evaluation == rich_session.training.evaluation
    assert (copied.cold_survey_enabled, copied.cold_survey_delay_days) == (True, 45)
    assert copied.cold_survey_evaluation.name == "À froid"


def test_duplicate_copies_the_email_settings(rich_session, db):
    copy = _duplicate(rich_session)
    rules = db.session.scalars(sa.select(EmailRule).where(EmailRule.session_id == copy.id)).all()
    assert len(rules) == len(EmailKind)
    [rule] = [rule for rule in rules if rule.kind == EmailKind.CONVOCATION]
    assert (rule.kind, rule.enabled, rule.delay_days, rule.bcc) == (
        EmailKind.CONVOCATION,
        False,
        -5,
        "rh@example.com",
    )
    assert copy.calendar_invitations is False


def test_duplicate_takes_the_wizard_dates_until_slots_exist(rich_session):
    copy = _duplicate(rich_session)
    assert (copy.start_date, copy.end_date) == (date(2027, 9, 6), date(2027, 9, 17))


def _count(db, model, **where):
    query = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


@pytest.mark.parametrize(
    ("what", "count"),
    [
        ("slots", lambda db, s: sum(len(q.slots) for q in s.sequences)),
        ("costs", lambda db, s: _count(db, Cost, session_id=s.id)),
        ("financing", lambda db, s: _count(db, Financing, session_id=s.id)),
        ("participants", lambda db, s: _count(db, factories.TrainingRequest, session_id=s.id)),
        (
            "attendance",
            lambda db, s: db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Attendance)
                .join(factories.TrainingRequest)
                .where(factories.TrainingRequest.session_id == s.id)
            ),
        ),
        (
            "certifications",
            lambda db, s: db.session.scalar(
                sa.select(sa.func.count())
                .select_from(CertificationResult)
                .join(factories.TrainingRequest)
                .where(factories.TrainingRequest.session_id == s.id)
            ),
        ),
        ("documents", lambda db, s: _count(db, Document, session_id=s.id)),
        ("survey results", lambda db, s: _count(db, SurveyResponse, session_id=s.id)),
    ],
)
def test_duplicate_does_not_copy(rich_session, db, what, count):
    assert count(db, rich_session) > 0, f"the source should have {what}"
    assert count(db, _duplicate(rich_session)) == 0


def test_duplicate_history_starts_with_duplicated_from(rich_session, db):
    assert _count(db, SessionHistory, session_id=rich_session.id) > 0
    copy = _duplicate(rich_session)
    assert history_lines(copy.id) == [f"Duplication : Dupliquée depuis : {rich_session.code}"]


@pytest.mark.parametrize(
    ("year", "start", "end", "field"),
    [
        (1999, date(2027, 1, 4), date(2027, 1, 5), "year"),
        (2027, date(2027, 1, 5), date(2027, 1, 4), "end_date"),
        (2027, None, date(2027, 1, 4), "start_date"),
    ],
)
def test_duplicate_bad_input(rich_session, db, year, start, end, field):
    before = _count(db, TrainingSession)
    with pytest.raises(ValidationFailed) as refused:
        service.duplicate_session(rich_session, year, start, end)
    assert field in refused.value.errors
    assert _count(db, TrainingSession) == before


# --- Lock, publication, workflow ----------------------------------------------------------------


def test_lock_after_enrolment(db):
    session = factories.make_session()
    manager, ops = factories.make_user(role=Role.MANAGER), factories.make_user(role=Role.OPS_MANAGER)
    service.ensure_can_change(session, manager)
    factories.enrol(session)
    with pytest.raises(service.SessionLocked):
        service.ensure_can_change(session, manager)
    with pytest.raises(service.SessionLocked):
        service.ensure_can_change(session, None)  # a job or an import acts as the system
    with pytest.raises(DomainError) as refused:
        service.ensure_can_change(session, ops)
    assert refused.value.field == "change_reason"
    service.ensure_can_change(session, ops, reason="Changement de salle demandé par le client")


def test_publication_is_manual_and_skips_locked_sessions_for_managers(db):
    free, locked = factories.make_session(), factories.make_session()
    factories.enrol(locked)
    manager = factories.make_user(role=Role.MANAGER)
    changed, skipped = service.set_publication([free, locked], Publication.PUBLISHED, manager)
    assert changed == [free] and skipped == [locked]
    assert free.publication == Publication.PUBLISHED and locked.publication == Publication.DRAFT
    admin = factories.make_user(role=Role.ADMIN)
    changed, skipped = service.set_publication([free, locked], Publication.PUBLISHED, admin)
    assert changed == [locked] and skipped == []


def test_workflow_guards(db):
    session = factories.make_session()
    user = factories.make_user(role=Role.MANAGER)
    now = datetime(2027, 3, 15, 12, 0)
    with pytest.raises(DomainError, match="créneau"):
        service.change_status(session, WorkflowStatus.CONFIRMED, user, now)
    factories.make_slot(factories.make_sequence(session), days=[date(2027, 3, 15)])
    service.change_status(session, WorkflowStatus.CONFIRMED, user, now)
    service.change_status(session, WorkflowStatus.IN_PROGRESS, user, now)
    with pytest.raises(DomainError):
        service.change_status(session, WorkflowStatus.CLOSED, user, now)  # the slot ends at 17:00
    service.change_status(
        session, WorkflowStatus.CLOSED, user, datetime.combine(date(2027, 3, 15), time(17, 0))
    )
    with pytest.raises(DomainError):
        service.change_status(session, WorkflowStatus.CANCELLED, user, now, reason="Trop tard")


def test_cancelling_needs_a_reason(db):
    session = factories.make_session()
    user = factories.make_user(role=Role.MANAGER)
    with pytest.raises(DomainError) as refused:
        service.change_status(session, WorkflowStatus.CANCELLED, user, datetime(2027, 1, 1))
    assert refused.value.field == "cancel_reason"
    service.change_status(
        session, WorkflowStatus.CANCELLED, user, datetime(2027, 1, 1), reason="Formateur malade"
    )
    assert session.status == WorkflowStatus.CANCELLED and session.cancel_reason == "Formateur malade"


# --- History ----------------------------------------------------------------------------------


def test_history_records_who_what_old_and_new(db):
    session = factories.make_session(capacity_max=12, label="Ancien libellé")
    service.update_session(session, {"capacity_max": 15, "label": "Nouveau libellé"}, None)
    [entry] = db.session.scalars(sa.select(SessionHistory).where(SessionHistory.session_id == session.id))
    assert (entry.actor, entry.user_id) == ("system", None)
    assert history_lines(session.id) == [
        "Modification : Libellé : Ancien libellé → Nouveau libellé ; Capacité max : 12 → 15"
    ]


def test_history_of_sequences_and_reason(db):
    from trainadmin.services.planning import save_sequence

    session = factories.make_session()
    sequence = factories.make_sequence(session, label="Jour 1")
    save_sequence(session, {"label": "Jour 1 — matin"}, None, "Demande du client", sequence)
    assert history_lines(session.id) == [
        "Modification — Séquence « Jour 1 — matin » : Libellé : Jour 1 → Jour 1 — matin [Demande du client]"
    ]


def test_duplicate_query_count_does_not_grow_with_sequences(db, count_queries):
    def source_with(sequences: int) -> TrainingSession:
        source = factories.make_session()
        for number in range(sequences):
            factories.make_sequence(source, label=f"Séquence {number}", position=number)
        return source.id

    small_id, large_id = source_with(2), source_with(20)
    db.session.flush()
    db.session.expire_all()
    small, large = db.session.get(TrainingSession, small_id), db.session.get(TrainingSession, large_id)
    service.allocate_code(2027)  # the year's counter exists, as it does after its first session
    ensure_templates()  # the default e-mails exist, as they do after init-db
    with count_queries() as few:
        service.duplicate_session(small, 2027, date(2027, 1, 4), date(2027, 1, 8))
    with count_queries() as many:
        copy = service.duplicate_session(large, 2027, date(2027, 1, 4), date(2027, 1, 8))
    assert len(copy.sequences) == 20
    assert many.count == few.count, (few.statements, many.statements)
