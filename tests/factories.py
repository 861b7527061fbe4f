"""Factories for the main objects: make_x(**overrides) adds, flushes and returns the object."""

from __future__ import annotations

import itertools
from datetime import date, time

from trainadmin.extensions import db
from trainadmin.models import (
    Certification,
    Collaborator,
    CostType,
    Dispositif,
    Document,
    DocumentType,
    EmailKind,
    EmailTemplate,
    Evaluation,
    ImportRun,
    ImportStatus,
    Location,
    OutboxMessage,
    Partner,
    Population,
    RequestStatus,
    Role,
    Room,
    Sequence,
    SessionType,
    Slot,
    SlotDate,
    Supplier,
    TeachingMode,
    Trainer,
    Training,
    TrainingOrganisation,
    TrainingRequest,
    TrainingSession,
    User,
)
from trainadmin.services.planning import dates as planning
from trainadmin.services.sessions.codes import assign_code

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def make_user(role: Role = Role.MANAGER, password: str = "correct-horse-battery", **kw) -> User:
    user = User(
        email=kw.pop("email", f"user{n()}@example.com"), role=role, full_name=kw.pop("full_name", ""), **kw
    )
    user.set_password(password)
    return _add(user)


def make_named(model, **kw):
    kw.setdefault("name", f"{model.__name__} {n()}")
    return _add(model(**kw))


def make_location(**kw) -> Location:
    location = make_named(Location, city=kw.pop("city", "Lyon"), **kw)
    _add(Room(location=location, name=f"Salle {n()}", capacity=20))
    return location


def make_room(**kw) -> Room:
    location = kw.pop("location", None) or make_named(Location)
    return _add(
        Room(location=location, name=kw.pop("name", f"Salle {n()}"), capacity=kw.pop("capacity", 12), **kw)
    )


def make_trainer(**kw) -> Trainer:
    i = n()
    kw.setdefault("first_name", "Claire")
    kw.setdefault("last_name", f"Martin{i}")
    kw.setdefault("email", f"formateur{i}@example.com")
    return _add(Trainer(**kw))


def make_collaborator(**kw) -> Collaborator:
    i = n()
    kw.setdefault("first_name", "Paul")
    kw.setdefault("last_name", f"Durand{i}")
    kw.setdefault("email", f"collab{i}@example.com")
    kw.setdefault("manager_email", "manager@example.com")
    return _add(Collaborator(**kw))


def make_training(**kw) -> Training:
    kw.setdefault("name", f"Formation {n()}")
    kw.setdefault("session_type", SessionType.INTRA)
    kw.setdefault("capacity_min", 4)
    kw.setdefault("capacity_target", 8)
    kw.setdefault("capacity_max", 12)
    return _add(Training(**kw))


def make_session(**kw) -> TrainingSession:
    training = kw.pop("training", None) or make_training()
    kw.setdefault("year", 2027)
    kw.setdefault("label", training.name)
    session = TrainingSession(training=training, **kw)
    db.session.add(session)
    assign_code(session)
    db.session.flush()
    return session


def make_sequence(session: TrainingSession | None = None, **kw) -> Sequence:
    session = session or make_session()
    kw.setdefault("label", f"Séquence {n()}")
    kw.setdefault("position", len(session.sequences))
    sequence = Sequence(session=session, **kw)
    return _add(sequence)


def make_slot(sequence: Sequence | None = None, days: list[date] | None = None, **kw) -> Slot:
    sequence = sequence or make_sequence()
    slot = Slot(sequence=sequence, **kw)
    for day in days or [date(2027, 3, 15)]:
        slot.dates.append(SlotDate(day=day, start_time=time(9), end_time=time(17), break_minutes=60))
    _add(slot)
    planning.refresh_session(sequence.session)
    db.session.flush()
    return slot


def make_email_template(kind: EmailKind = EmailKind.CONVOCATION) -> EmailTemplate:
    """The default template of a kind (the kinds are fixed: they exist once, as after init-db)."""
    from sqlalchemy import select

    from trainadmin.services.notifications.default_rules import ensure_templates

    ensure_templates()
    return db.session.scalars(select(EmailTemplate).where(EmailTemplate.kind == kind)).one()


def make_partner(**kw) -> Partner:
    return make_named(Partner, **kw)


def make_import_run(partner: Partner | None = None, **kw) -> ImportRun:
    """A finished import run (its sessions and rejected rows are the import's business)."""
    kw.setdefault("status", ImportStatus.SUCCEEDED)
    kw.setdefault("filename", "sessions.csv")
    return _add(ImportRun(partner=partner or make_partner(), **kw))


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_document(name: str = "convention.pdf", data: bytes = PDF_BYTES, **owner) -> Document:
    """A stored document (its file written under TRAINADMIN_STORAGE) for a session by default."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from trainadmin.services.documents.storage import save_upload

    document_type = owner.pop("document_type", None) or make_named(DocumentType)
    user = owner.pop("user", None)
    if not owner:
        owner = {"session": make_session()}
    upload = FileStorage(stream=BytesIO(data), filename=name)
    return save_upload(upload, document_type_id=document_type.id, user=user, **owner)


FACTORIES = {
    User: make_user,
    Certification: lambda: make_named(Certification),
    TrainingOrganisation: lambda: make_named(TrainingOrganisation),
    Supplier: lambda: make_named(Supplier),
    Location: make_location,
    Room: make_room,
    Trainer: make_trainer,
    Population: lambda: make_named(Population),
    Collaborator: make_collaborator,
    CostType: lambda: make_named(CostType),
    DocumentType: lambda: make_named(DocumentType),
    Evaluation: lambda: make_named(Evaluation, questions="Clarté\nUtilité"),
    Dispositif: lambda: make_named(Dispositif),
    TeachingMode: lambda: make_named(TeachingMode),
    Training: make_training,
    TrainingSession: make_session,
    Sequence: make_sequence,
    Slot: make_slot,
    Partner: make_partner,
    ImportRun: make_import_run,
    TrainingRequest: lambda: make_request(),
    EmailTemplate: make_email_template,
    OutboxMessage: lambda: make_outbox_message(),
}


def make_outbox_message(session: TrainingSession | None = None, **kw) -> OutboxMessage:
    """A message written to the outbox (not sent yet unless `state` says otherwise)."""
    i = n()
    kw.setdefault("dedup_key", f"test:{i}")
    kw.setdefault("kind", "convocation")
    kw.setdefault("recipient", f"destinataire{i}@example.com")
    kw.setdefault("subject", f"Convocation {i}")
    kw.setdefault("body", "Bonjour,\nVous êtes convoqué.")
    session = session or make_session()
    return _add(OutboxMessage(session_id=session.id, **kw))


def make(model):
    """An instance of any model an admin view manages."""
    return FACTORIES[model]()


def make_request(
    session: TrainingSession | None = None,
    collaborator: Collaborator | None = None,
    status: RequestStatus = RequestStatus.PENDING_MANAGER,
) -> TrainingRequest:
    """A demande waiting for a validation (made, say, from the learner application)."""
    request = TrainingRequest(
        session=session or make_session(), collaborator=collaborator or make_collaborator(), status=status
    )
    db.session.add(request)
    db.session.flush()
    return request


def enrol(session: TrainingSession, collaborator: Collaborator | None = None) -> TrainingRequest:
    """An enrolled participant (the enrolment workflow itself belongs to the participants feature)."""
    request = TrainingRequest(
        session=session, collaborator=collaborator or make_collaborator(), status=RequestStatus.ENROLLED
    )
    db.session.add(request)
    session.enrolled_count += 1
    db.session.flush()
    return request
