"""« Historique »: each kind of change gives the line a person expects — one line per action, the
field's French label, names and dates as people read them, the reason — whatever the screen."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from html import unescape

import pytest

from trainadmin.models import Presence, Publication, Role, SequenceStatus, WorkflowStatus
from trainadmin.services import money, participants, planning
from trainadmin.services import sessions as session_service
from trainadmin.services.history import acting_as, change_reason
from trainadmin.services.notifications import schedule
from trainadmin.services.notifications.rules import copy_rules, session_rules, update_rules
from trainadmin.services.planning import SlotInput

from . import factories
from .conftest import history_lines

DAY = date(2027, 3, 15)


@pytest.fixture
def ops(users):
    return users[Role.OPS_MANAGER]


@pytest.fixture
def lyon_and_nantes(db):
    lyon = factories.make_location(name="Lyon")
    nantes = factories.make_location(name="Nantes")
    return lyon, nantes


def slot_input(location, day: date, **kw) -> SlotInput:
    return SlotInput(
        location_id=location.id,
        room_id=location.rooms[0].id,
        dates=[(day, time(9), time(17), 60)],
        **kw,
    )


def latest(session) -> str:
    return history_lines(session.id)[0]


def test_a_slot_moved_from_lyon_to_nantes_is_one_line_with_the_place_and_the_dates(db, ops, lyon_and_nantes):
    lyon, nantes = lyon_and_nantes
    session = factories.make_session()
    sequence = factories.make_sequence(session, label="Jour 1")
    result = planning.save_slot(sequence, slot_input(lyon, DAY), ops)
    assert latest(session) == (
        "Ajout — Créneau de la séquence « Jour 1 » : Lieu : Lyon ; Salle : "
        f"{lyon.rooms[0].name} ; Dates : 15/03/2027 09:00–17:00"
    )
    factories.enrol(session)

    planning.save_slot(
        sequence, slot_input(nantes, date(2027, 3, 16)), ops, reason="Salle fermée", slot=result.slot
    )

    assert latest(session) == (
        "Modification — Créneau de la séquence « Jour 1 » : Lieu : Lyon → Nantes ; "
        f"Salle : {lyon.rooms[0].name} → {nantes.rooms[0].name} ; "
        "Dates : 15/03/2027 09:00–17:00 → 16/03/2027 09:00–17:00 ; "
        "Invitations calendrier : mises à jour [Salle fermée]"
    )
    assert len(history_lines(session.id)) == 2  # one line per action, not an add and a remove


def test_a_slot_deleted_says_what_it_was(db, ops, lyon_and_nantes):
    lyon, _ = lyon_and_nantes
    session = factories.make_session()
    sequence = factories.make_sequence(session, label="Jour 1")
    trainer = factories.make_trainer(first_name="Claire", last_name="Martin")
    slot = planning.save_slot(sequence, slot_input(lyon, DAY, trainer_ids=[trainer.id]), ops).slot

    planning.delete_slot(slot, ops)

    assert latest(session) == (
        "Suppression — Créneau de la séquence « Jour 1 » : Lieu : Lyon ; Salle : "
        f"{lyon.rooms[0].name} ; Dates : 15/03/2027 09:00–17:00 ; Formateurs : Claire Martin"
    )


def test_sequences_added_changed_moved_and_deleted(db, ops):
    mode = factories.make_named(factories.TeachingMode, name="Présentiel")
    session = factories.make_session()
    first = planning.save_sequence(session, {"label": "Accueil", "teaching_mode_id": mode.id}, ops)
    assert latest(session) == (
        "Ajout — Séquence « Accueil » : Libellé : Accueil ; Modalité pédagogique : Présentiel ; "
        "Statut de la séquence : Planifiée ; Pré-work : Non ; Enquête à chaud : Non ; "
        "Délai de l'enquête à chaud (jours après la fin) : 0 ; Enquête à froid : Non ; "
        "Délai de l'enquête à froid (jours après la fin) : 60"
    )
    second = planning.save_sequence(session, {"label": "Atelier"}, ops)

    planning.save_sequence(
        session, {"label": "Atelier", "status": SequenceStatus.CANCELLED}, ops, sequence=second
    )
    assert (
        latest(session) == "Modification — Séquence « Atelier » : Statut de la séquence : Planifiée → Annulée"
    )

    planning.move_sequence(second, -1, ops)
    assert latest(session) == "Modification — Séquence « Atelier » : Ordre : 2 → 1"

    planning.delete_sequence(first, ops)
    assert latest(session).startswith("Suppression — Séquence « Accueil » : Libellé : Accueil ;")


def test_the_session_form_publication_and_workflow(db, ops):
    evaluation = factories.make_named(factories.Evaluation, name="Satisfaction à chaud")
    session = factories.make_session(label="Excel", capacity_max=12)
    session_service.update_session(
        session, {"label": "Excel avancé", "capacity_max": 15, "evaluation_id": evaluation.id}, ops
    )
    assert latest(session) == (
        "Modification : Libellé : Excel → Excel avancé ; Capacité max : 12 → 15 ; "
        "Évaluation : (vide) → Satisfaction à chaud"
    )
    session_service.set_publication([session], Publication.PUBLISHED, ops)
    assert latest(session) == "Modification : Publié application client : Brouillon → Publié"
    factories.make_slot(factories.make_sequence(session), days=[DAY])
    session_service.change_status(session, WorkflowStatus.CONFIRMED, ops, date(2027, 1, 1))
    assert latest(session) == "Modification : Statut du workflow : Créé → Confirmé"
    factories.enrol(session)
    session_service.change_status(
        session, WorkflowStatus.CANCELLED, ops, date(2027, 1, 1), reason="Formateur malade"
    )
    assert latest(session) == (
        "Modification : Statut du workflow : Confirmé → Annulé ; "
        "Motif de l'annulation : (vide) → Formateur malade [Formateur malade]"
    )


def test_creation_duplication_and_the_system_as_the_actor(db, ops):
    training = factories.make_training(name="Management")
    with acting_as(ops.id, ops.email):
        created = session_service.new_session(training, 2027, ops)
    assert history_lines(created.id) == [f"Création : Code session : {created.code}"]
    copy = session_service.duplicate_session(created, 2028, date(2028, 1, 3), date(2028, 1, 4))
    assert history_lines(copy.id) == [f"Duplication : Dupliquée depuis : {created.code}"]
    page = history_lines(copy.id, locale="en")
    assert page == [f"Duplicated : Duplicated from : {created.code}"]


def test_costs_and_financing(db, ops):
    session = factories.make_session()
    trainer_fee = factories.make_named(factories.CostType, name="Formateur")
    supplier = factories.make_named(factories.Supplier, name="Cabinet Durand")
    cost = money.add_cost(session, trainer_fee.id, Decimal("1200"), "global", None, supplier.id, "Forfait")
    assert latest(session) == (
        "Ajout — Coût « Formateur » : Type de coût : Formateur ; Montant : 1200 € ; "
        "Répartition : Global ; Prestataire : Cabinet Durand ; Commentaire : Forfait"
    )
    money.delete_cost(cost)
    assert latest(session).startswith("Suppression — Coût « Formateur » : Type de coût : Formateur ;")
    money.add_financing(session, "OPCO Atlas", None, Decimal("800.50"), "granted")
    assert latest(session) == (
        "Ajout — Financement « OPCO Atlas » : Financeur : OPCO Atlas ; Montant : 800,5 € ; Statut : Accordé"
    )


def test_participants_attendance_and_certifications(db, ops):
    session = factories.make_session(capacity_max=1)
    slot = factories.make_slot(factories.make_sequence(session), days=[DAY])
    marie = factories.make_collaborator(first_name="Marie", last_name="Curie")
    paul = factories.make_collaborator(first_name="Paul", last_name="Langevin")
    [enrolled], _ = participants.enrol(session, [marie.id], ops)
    [waiting], _ = participants.enrol(session, [paul.id], ops)
    assert history_lines(session.id)[:2] == [
        "Ajout — Participant « Paul Langevin » : Statut de la demande : Liste d'attente",
        "Ajout — Participant « Marie Curie » : Statut de la demande : Inscrit",
    ]

    participants.save_sheet(
        session,
        [(enrolled.id, slot.dates[0].id, "am", "present"), (enrolled.id, slot.dates[0].id, "pm", "absent")],
        [(enrolled.id, "obtained", "2027-03-15")],
        date(2027, 4, 1),
    )
    assert latest(session) == (
        "Modification — Présences et certifications : Marie Curie — 15/03/2027 matin : (vide) → Présent ; "
        "Marie Curie — 15/03/2027 après-midi : (vide) → Absent ; "
        "Marie Curie — Certification : (vide) → obtenue le 15/03/2027"
    )
    participants.set_whole_day(session, slot.dates[0].id, Presence.EXCUSED.value)
    assert latest(session) == (
        "Modification — Présences et certifications : Marie Curie — 15/03/2027 matin : Présent → Excusé ; "
        "Marie Curie — 15/03/2027 après-midi : Absent → Excusé"
    )

    participants.cancel_enrolment(enrolled, "illness", "Hospitalisée")
    assert history_lines(session.id)[:2] == [
        "Modification — Participant « Paul Langevin » : Statut de la demande : Liste d'attente → Inscrit "
        "[Une place s'est libérée.]",
        "Modification — Participant « Marie Curie » : Statut de la demande : Inscrit → Annulée "
        "[Maladie ou absence — Hospitalisée]",
    ]
    assert waiting.status.value == "enrolled"


def test_documents_and_e_mail_rules(db, ops, storage):
    session = factories.make_session()
    contract = factories.make_named(factories.DocumentType, name="Convention")
    document = factories.make_document("convention signée.pdf", document_type=contract, session=session)
    assert latest(session) == ("Ajout — Document « convention signée.pdf » : Type de document : Convention")
    from trainadmin.services.documents import delete_document

    delete_document(document)
    assert latest(session) == (
        "Suppression — Document « convention signée.pdf » : Type de document : Convention"
    )

    copy_rules(session)
    rules = {rule.kind.value: rule for rule in session_rules(session)}
    convocation = rules["convocation"]  # (the default e-mails are made by the migrations)
    with change_reason("Demande du client"):
        update_rules(
            session, {convocation.id: {"enabled": False, "delay_days": "-10", "bcc": "rh@example.com"}}
        )
    assert latest(session) == (
        "Modification — E-mail « Convocation » : Activé : Oui → Non ; Délai en jours : -7 → -10 ; "
        "Destinataires en copie cachée : (vide) → rh@example.com [Demande du client]"
    )


def test_send_now_and_do_not_send_are_in_the_history(db, ops):
    from trainadmin.models import EmailSchedule

    session = factories.make_session(publication=Publication.PUBLISHED)
    sequence = factories.make_sequence(session, label="Jour 1")
    factories.make_slot(sequence, days=[date(2030, 3, 15)])
    copy_rules(session)
    row = db.session.query(EmailSchedule).filter(EmailSchedule.sequence_id == sequence.id).first()
    schedule.skip(row)
    assert latest(session).endswith(": Séquence : Jour 1 ; Action : Ne pas envoyer")


def test_the_history_tab_shows_the_lines(db, login_as, ops, lyon_and_nantes):
    lyon, nantes = lyon_and_nantes
    session = factories.make_session()
    sequence = factories.make_sequence(session, label="Jour 1")
    slot = planning.save_slot(sequence, slot_input(lyon, DAY), ops).slot
    planning.save_slot(sequence, slot_input(nantes, DAY), ops, slot=slot)
    db.session.flush()
    page = unescape(
        login_as(Role.VIEWER)
        .get(f"/admin/sessions/details/?id={session.id}&tab=history")
        .get_data(as_text=True)
    )
    assert "Créneau de la séquence « Jour 1 »" in page and "Lieu : Lyon → Nantes" in page
    assert "None" not in page.split('id="history-table"')[1]
