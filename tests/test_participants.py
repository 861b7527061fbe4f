"""« Participants »: enrolment by search, populations, waiting list, cancellation freeing the seat."""

from __future__ import annotations

from html import unescape

import sqlalchemy as sa

from trainadmin.models import RequestStatus, Role, TrainingRequest, WorkflowStatus

from . import factories
from .conftest import flashed_errors, post_form


def page(client, url):
    return unescape(client.get(url).get_data(as_text=True))


def statuses(db, session):
    rows = db.session.execute(
        sa.select(TrainingRequest.collaborator_id, TrainingRequest.status).where(
            TrainingRequest.session_id == session.id
        )
    ).all()
    return {collaborator_id: status for collaborator_id, status in rows}


def test_enrol_by_search_with_waiting_list_and_cancellation(manager, db):
    session = factories.make_session(capacity_min=1, capacity_target=1, capacity_max=2)
    people = [factories.make_collaborator(last_name=f"Lefèvre{n}") for n in range(3)]
    found = page(manager, f"/admin/sessions/details/?id={session.id}&tab=participants&q=Lef")
    assert all(person.email in found for person in people)
    response = post_form(
        manager, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": [str(p.id) for p in people]}
    )
    assert response.status_code == 302
    assert statuses(db, session) == {
        people[0].id: RequestStatus.ENROLLED,
        people[1].id: RequestStatus.ENROLLED,
        people[2].id: RequestStatus.WAITLISTED,
    }
    assert session.enrolled_count == 2
    first = db.session.scalar(
        sa.select(TrainingRequest).where(TrainingRequest.collaborator_id == people[0].id)
    )
    assert [s.to_status for s in first.steps] == ["enrolled"]

    response = post_form(
        manager,
        f"/admin/demandes/cancel/?id={first.id}",
        {"cancel_reason": "illness", "cancel_details": "Arrêt maladie"},
    )
    shown = page(manager, response.headers["Location"])
    assert "premier sur la liste d'attente" in shown
    assert statuses(db, session)[people[2].id] == RequestStatus.ENROLLED
    assert statuses(db, session)[people[0].id] == RequestStatus.CANCELLED
    assert session.enrolled_count == 2


def test_refusals_are_explained(manager, db):
    population = factories.make_named(factories.Population, name="Cadres")
    session = factories.make_session()
    session.populations.append(population)
    insider, outsider = factories.make_collaborator(), factories.make_collaborator(last_name="Dehors")
    insider.populations.append(population)
    db.session.flush()
    url = f"/admin/sessions/enrol/?id={session.id}"
    post_form(manager, url, {"collaborator_ids": [str(insider.id)]})
    response = post_form(manager, url, {"collaborator_ids": [str(insider.id), str(outsider.id)]})
    messages = " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert "a déjà une demande" in messages and "Dehors" in messages and "populations" in messages
    assert set(statuses(db, session)) == {insider.id}


def test_no_enrolment_in_a_cancelled_session(manager, db):
    session = factories.make_session(status=WorkflowStatus.CANCELLED)
    person = factories.make_collaborator()
    response = post_form(
        manager, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": [str(person.id)]}
    )
    assert "annulée ou clôturée" in " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert statuses(db, session) == {}


def test_enrolment_locks_the_session_for_managers(manager, db):
    session = factories.make_session()
    person = factories.make_collaborator()
    post_form(manager, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": [str(person.id)]})
    assert 'id="lock-box"' in page(manager, f"/admin/sessions/details/?id={session.id}")


def test_cancellation_needs_a_known_reason(manager, db):
    session = factories.make_session()
    demande = factories.enrol(session)
    response = post_form(
        manager,
        f"/admin/demandes/cancel/?id={demande.id}",
        {"cancel_reason": "x"},
    )
    assert response.status_code == 400  # the confirmation page again, the message next to « Motif »
    assert 'id="cancel-reason-error"' in response.get_data(as_text=True)
    assert "motif" in unescape(response.get_data(as_text=True)).lower()
    assert demande.status == RequestStatus.ENROLLED


def test_viewer_cannot_enrol(login_as, db):
    viewer = login_as(Role.VIEWER)
    session = factories.make_session()
    person = factories.make_collaborator()
    assert (
        post_form(
            viewer, f"/admin/sessions/enrol/?id={session.id}", {"collaborator_ids": [str(person.id)]}
        ).status_code
        == 403
    )


def test_inter_convocation_pdf(login_as, db):
    import io
    from datetime import date

    from pypdf import PdfReader

    from trainadmin.models import SessionType

    viewer = login_as(Role.VIEWER)
    session = factories.make_session(
        label="Habilitation électrique",
        session_type=SessionType.INTER,
        convocation_comment="Venir 15 min avant",
    )
    location = factories.make_location(
        name="Campus Lyon", address="12 rue Garibaldi", postcode="69003", city="Lyon"
    )
    prework = factories.make_sequence(session, label="Quiz en ligne", is_prework=True, position=0)
    main = factories.make_sequence(session, label="Théorie et pratique", position=1)
    factories.make_slot(prework, days=[date(2027, 5, 3)])
    factories.make_slot(main, days=[date(2027, 5, 10)], location=location, room=location.rooms[0])
    demande = factories.enrol(session, factories.make_collaborator(first_name="Inès", last_name="Moreau"))
    listing = page(viewer, f"/admin/sessions/details/?id={session.id}&tab=participants")
    assert "Télécharger la convocation" in listing
    response = viewer.get(f"/admin/demandes/convocation/?id={demande.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for expected in (
        "Inès Moreau",
        "Habilitation électrique",
        session.code,
        "Théorie et pratique",
        "Lundi 10 mai 2027, de 09h00 à 17h00",
        "Campus Lyon",
        "12 rue Garibaldi",
        "Venir 15 min avant",
    ):
        assert expected in text, expected
    assert "Quiz en ligne" not in text  # pre-work has no convocation


def test_intra_has_no_downloaded_convocation(manager, db):
    session = factories.make_session()
    demande = factories.enrol(session)
    response = manager.get(f"/admin/demandes/convocation/?id={demande.id}")
    assert response.status_code == 302
    assert "e-mail" in " ".join(flashed_errors(page(manager, response.headers["Location"])))
