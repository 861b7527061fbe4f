"""« Demandes »: the validation workflow, « Demandes à traiter », the demande page and its tabs."""

from __future__ import annotations

import io
import re
import threading
from html import unescape

import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import (
    RequestStatus,
    Role,
    SessionType,
    TrainingRequest,
    TrainingSession,
    WorkflowStatus,
)
from trainadmin.services.participants import demandes as participants

from . import factories
from .conftest import flashed_errors, need, post_form


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(div|table|tbody)>', html, re.S)
    assert match, element_id
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip()


def demande_url(demande, tab="details"):
    return f"/admin/demandes/details/?id={demande.id}&tab={tab}"


def test_request_goes_through_manager_then_training_department(manager, db):
    session = factories.make_session(capacity_min=1, capacity_target=2, capacity_max=2)
    person = factories.make_collaborator(first_name="Léa", last_name="Garnier")
    response = post_form(
        manager,
        f"/admin/sessions/enrol/?id={session.id}",
        {"collaborator_ids": [str(person.id)], "workflow": "manager"},
    )
    assert response.status_code == 302
    demande = db.session.scalar(sa.select(TrainingRequest).where(TrainingRequest.session_id == session.id))
    assert demande.status == RequestStatus.PENDING_MANAGER and session.enrolled_count == 0

    shown = page(manager, demande_url(demande))
    status = text_of(shown, "demande-status")
    assert "En attente de validation manager" in status
    assert "Validation par le manager du collaborateur" in status
    todo = page(manager, "/admin/demandes_todo/")
    assert "Léa Garnier" in todo

    post_form(manager, f"/admin/demandes/validate/?id={demande.id}", {"comment": "Accord reçu par e-mail"})
    assert demande.status == RequestStatus.PENDING_TRAINING
    assert "Validation par le service formation" in text_of(
        page(manager, demande_url(demande)), "demande-status"
    )

    response = post_form(manager, f"/admin/demandes/validate/?id={demande.id}", {"comment": ""})
    assert "Demande validée" in page(manager, response.headers["Location"])
    assert demande.status == RequestStatus.ENROLLED and session.enrolled_count == 1
    assert "Léa Garnier" not in page(manager, "/admin/demandes_todo/")

    history = text_of(page(manager, demande_url(demande, "history")), "demande-history")
    assert "Accord reçu par e-mail" in history
    for label in (
        "En attente de validation manager",
        "En attente de validation service formation",
        "Validée",
    ):
        assert label in history
    assert [step.to_status for step in demande.steps] == [
        "pending_manager",
        "pending_training",
        "validated",
        "enrolled",
    ]
    assert all(step.actor == "manager@example.org" or step.user_id for step in demande.steps)


def test_staff_requests_are_validated_in_one_step(manager, db):
    session = factories.make_session()
    person = factories.make_collaborator()
    post_form(manager, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": [str(person.id)]})
    demande = db.session.scalar(sa.select(TrainingRequest).where(TrainingRequest.session_id == session.id))
    assert demande.status == RequestStatus.ENROLLED
    assert [step.to_status for step in demande.steps] == ["enrolled"]


def test_validation_of_a_full_session_puts_on_the_waiting_list(manager, db):
    session = factories.make_session(capacity_min=1, capacity_target=1, capacity_max=1)
    factories.enrol(session)
    demande = factories.make_request(session, status=RequestStatus.PENDING_TRAINING)
    response = post_form(manager, f"/admin/demandes/validate/?id={demande.id}", {})
    assert "liste d'attente" in page(manager, response.headers["Location"])
    assert demande.status == RequestStatus.WAITLISTED and demande.waitlist_position == 1
    assert session.enrolled_count == 1


def test_refusal_needs_a_comment(manager, db):
    demande = factories.make_request()
    response = post_form(manager, f"/admin/demandes/refuse/?id={demande.id}", {"comment": "  "})
    assert "pourquoi" in " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert demande.status == RequestStatus.PENDING_MANAGER
    post_form(manager, f"/admin/demandes/refuse/?id={demande.id}", {"comment": "Budget épuisé"})
    assert demande.status == RequestStatus.REFUSED
    assert demande.steps[-1].comment == "Budget épuisé"
    shown = page(manager, demande_url(demande))
    assert "Refusée" in text_of(shown, "demande-status")
    assert 'id="validate-request"' not in shown and 'id="cancel-request"' not in shown


def test_no_validation_out_of_turn(manager, db):
    session = factories.make_session()
    demande = factories.enrol(session)
    response = post_form(manager, f"/admin/demandes/validate/?id={demande.id}", {})
    assert "n'attend pas de validation" in " ".join(
        flashed_errors(page(manager, response.headers["Location"]))
    )
    closed = factories.make_session(status=WorkflowStatus.CANCELLED)
    late = factories.make_request(closed, status=RequestStatus.PENDING_TRAINING)
    response = post_form(manager, f"/admin/demandes/validate/?id={late.id}", {})
    assert "annulée ou clôturée" in " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert late.status == RequestStatus.PENDING_TRAINING and closed.enrolled_count == 0


def test_cancel_from_the_demande_page_frees_the_seat_for_the_first_waiting(manager, db):
    session = factories.make_session(capacity_min=1, capacity_target=1, capacity_max=1)
    seated = factories.enrol(session)
    post_form(
        manager,
        f"/admin/sessions/enrol/?id={session.id}",
        {"collaborator_ids": [str(factories.make_collaborator(last_name="Attente").id)]},
    )
    waiting = db.session.scalar(
        sa.select(TrainingRequest).where(TrainingRequest.status == RequestStatus.WAITLISTED)
    )
    shown = page(manager, demande_url(seated))
    assert 'id="cancel-dialog-form"' in shown and 'id="cancel-dialog-reason"' in shown  # in a dialog
    assert "cancel-form" not in shown  # not a form above the tabs
    confirm = page(manager, f"/admin/demandes/cancel/?id={seated.id}")  # the same, without JavaScript
    assert 'name="cancel_reason"' in confirm and 'name="cancel_details"' in confirm
    response = post_form(manager, f"/admin/demandes/cancel/?id={seated.id}", {"cancel_reason": ""})
    assert response.status_code == 400
    refused = unescape(response.get_data(as_text=True))
    assert text_of(refused, "cancel-reason-error") == "Choisissez le motif de l'annulation."
    assert seated.status == RequestStatus.ENROLLED
    response = post_form(
        manager,
        f"/admin/demandes/cancel/?id={seated.id}",
        {"cancel_reason": "workload", "cancel_details": "Clôture comptable"},
    )
    shown = page(manager, response.headers["Location"])
    assert "Attente" in shown and "premier sur la liste d'attente" in shown
    assert seated.status == RequestStatus.CANCELLED and waiting.status == RequestStatus.ENROLLED
    assert session.enrolled_count == 1
    details = text_of(page(manager, demande_url(seated)), "demande-details")
    assert "Charge de travail" in details and "Clôture comptable" in details


def test_viewer_reads_but_cannot_act(login_as, db):
    viewer = login_as(Role.VIEWER)
    demande = factories.make_request()
    shown = page(viewer, demande_url(demande))
    assert "En attente de validation manager" in shown and 'id="workflow-form"' not in shown
    assert post_form(viewer, f"/admin/demandes/validate/?id={demande.id}", {}).status_code == 403
    assert post_form(viewer, f"/admin/demandes/refuse/?id={demande.id}", {"comment": "x"}).status_code == 403
    assert viewer.get("/admin/demandes_todo/").status_code == 403
    assert demande.status == RequestStatus.PENDING_MANAGER


def test_bulk_validation_from_the_list_to_process(manager, db):
    session = factories.make_session()
    first, second = factories.make_request(session), factories.make_request(session)
    enrolled = factories.enrol(session)
    response = post_form(
        manager,
        "/admin/demandes_todo/action/",
        {"action": "validate", "rowid": [str(first.id), str(second.id), str(enrolled.id)]},
    )
    assert response.status_code == 302
    assert first.status == second.status == RequestStatus.PENDING_TRAINING
    assert enrolled.status == RequestStatus.ENROLLED


def test_unknown_ids_are_not_found(manager, db):
    assert manager.get("/admin/demandes/details/?id=abc").status_code == 404
    assert manager.get("/admin/demandes/details/?id=999999").status_code == 404
    assert post_form(manager, "/admin/demandes/validate/?id=999999", {}).status_code == 404
    assert manager.get("/admin/demandes/convocation/?id=x").status_code == 404


def test_participants_tab_leads_to_the_demande_and_its_convocation(login_as, db):
    from pypdf import PdfReader

    viewer = login_as(Role.VIEWER)
    session = factories.make_session(session_type=SessionType.INTER, label="Gestes et postures")
    sequence = factories.make_sequence(session, label="Atelier pratique")
    factories.make_slot(sequence)
    demande = factories.enrol(session, factories.make_collaborator(first_name="Noé", last_name="Perrin"))
    listing = page(viewer, f"/admin/sessions/details/?id={session.id}&tab=participants")
    assert f'href="/admin/demandes/details/?id={demande.id}"' in listing

    documents = page(viewer, demande_url(demande, "documents"))
    assert "Télécharger la convocation" in text_of(documents, "demande-documents")
    response = viewer.get(f"/admin/demandes/convocation/?id={demande.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Noé Perrin" in text and "Gestes et postures" in text and "Atelier pratique" in text

    listing = page(viewer, "/admin/demandes/")
    assert f"/admin/demandes/convocation/?id={demande.id}" in listing


def test_convocation_row_action_only_where_it_applies(manager, db):
    intra = factories.enrol(factories.make_session(session_type=SessionType.INTRA))
    pending = factories.make_request(factories.make_session(session_type=SessionType.INTER))
    listing = page(manager, "/admin/demandes/")
    assert f"/admin/demandes/convocation/?id={intra.id}" not in listing
    assert f"/admin/demandes/convocation/?id={pending.id}" not in listing
    documents = text_of(page(manager, demande_url(intra, "documents")), "demande-documents")
    assert "envoyées par e-mail" in documents
    response = manager.get(f"/admin/demandes/convocation/?id={pending.id}")
    assert response.status_code == 302


def test_concurrent_enrolments_never_exceed_the_maximum(app, committed_db, main_backend):
    """Eight staff members enrol at once: seats are counted under a lock, the rest wait in order."""
    if main_backend != "postgresql":
        need("PostgreSQL", "concurrent writers need a server database (SQLite serialises writers)")
    session = factories.make_session(capacity_min=1, capacity_target=3, capacity_max=3)
    people = [factories.make_collaborator().id for _ in range(16)]
    session_id = session.id
    committed_db.session.commit()
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def enrol_two(pair):
        try:
            with app.app_context():
                barrier.wait()
                target = _db.session.get(TrainingSession, session_id)
                participants.enrol(target, pair, None)
                _db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=enrol_two, args=(people[n : n + 2],)) for n in range(0, 16, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    committed_db.session.expire_all()
    rows = committed_db.session.execute(
        sa.select(TrainingRequest.status, TrainingRequest.waitlist_position).where(
            TrainingRequest.session_id == session_id
        )
    ).all()
    assert sum(1 for status, _ in rows if status == RequestStatus.ENROLLED) == 3
    assert sorted(p for status, p in rows if status == RequestStatus.WAITLISTED) == list(range(1, 14))
    assert committed_db.session.get(TrainingSession, session_id).enrolled_count == 3


def test_participants_tab_and_demandes_list_run_a_constant_number_of_queries(manager, db, count_queries):
    small, large = factories.make_session(), factories.make_session(capacity_max=30)
    for session, n in ((small, 2), (large, 40)):
        for _ in range(n):
            factories.enrol(session)
    factories.make_request(large)
    counts = []
    for session in (small, large):
        url = f"/admin/sessions/details/?id={session.id}&tab=participants"
        manager.get(url)
        with count_queries() as counter:
            assert manager.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
    counts = []
    for size in (5, 50):
        manager.get(f"/admin/demandes/?page_size={size}")
        with count_queries() as counter:
            assert manager.get(f"/admin/demandes/?page_size={size}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
