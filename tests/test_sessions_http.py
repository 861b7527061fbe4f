"""The session lifecycle through the real admin pages: create, reminders, publish, duplicate,
lock after enrolment, concurrent edits, workflow, history, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from trainadmin.models import (
    Cost,
    Publication,
    Role,
    SessionType,
    TrainingSession,
    WorkflowStatus,
)
from trainadmin.services.sessions import update_session

from . import factories
from .conftest import count_rows, field_errors, flashed_errors, history_lines, post_form


@pytest.fixture
def training(db):
    return factories.make_training(
        name="Sauveteur Secouriste du Travail",
        session_type=SessionType.INTER,
        organisation=factories.make_named(factories.TrainingOrganisation, name="Croix-Rouge"),
        certification=factories.make_named(factories.Certification, name="SST"),
        dispositif=factories.make_named(factories.Dispositif, name="Plan de développement"),
        capacity_min=4,
        capacity_target=8,
        capacity_max=10,
        funding_eligible=True,
        comments="Tenue confortable",
    )


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- « Créer une session » -------------------------------------------------------------------


def test_list_offers_create_with_three_options(manager, db):
    page = text(manager.get("/admin/sessions/"))
    assert 'id="create-session"' in page and "Créer une session" in page
    for value, label in (("create", "Créer"), ("duplicate", "Dupliquer"), ("import", "Importer")):
        assert f'value="{value}"' in page and f"<strong>{label}</strong>" in page
    assert "Continuer" in page
    assert manager.get("/admin/sessions/start/?choice=create").headers["Location"] == "/admin/sessions/new/"
    assert (
        manager.get("/admin/sessions/start/?choice=duplicate").headers["Location"]
        == "/admin/sessions/duplicate/"
    )
    assert manager.get("/admin/sessions/start/?choice=import").headers["Location"] == "/admin/imports/start/"


def test_create_fills_from_the_training_and_lands_on_the_session(manager, db, training):
    response = post_form(manager, "/admin/sessions/new/", {"training": str(training.id), "year": "2027"})
    assert response.status_code == 302, flashed_errors(text(response))
    session = db.session.scalar(sa.select(TrainingSession))
    assert response.headers["Location"] == f"/admin/sessions/details/?id={session.id}"
    assert session.code == "2027-0001" and session.label == "Sauveteur Secouriste du Travail"
    assert session.session_type == SessionType.INTER and session.organisation == training.organisation
    assert (session.capacity_min, session.capacity_target, session.capacity_max) == (4, 8, 10)
    assert session.comments == "Tenue confortable" and session.created_by_id is not None

    page = text(manager.get(response.headers["Location"]))
    assert (
        "saisir les coûts de la session et choisir son évaluation" in page.lower() or "reminder-box" in page
    )
    assert 'id="reminder-box"' in page and 'id="draft-box"' in page
    assert 'id="edit-session"' in page


def test_prefill_without_javascript(manager, db, training):
    response = post_form(manager, "/admin/sessions/new/", {"training": str(training.id), "_prefill": "1"})
    page = text(response)
    assert response.status_code == 200
    assert 'value="Sauveteur Secouriste du Travail"' in page
    assert re.search(r'id="capacity_max"[^>]*value="10"', page)
    assert count_rows(db, TrainingSession) == 0


def test_training_defaults_for_the_live_prefill(manager, training):
    values = manager.get(f"/admin/sessions/training-defaults/?id={training.id}").get_json()
    assert values["label"] == "Sauveteur Secouriste du Travail"
    assert values["session_type"] == "inter" and values["capacity_max"] == "10"
    assert values["organisation"] == str(training.organisation_id) and values["funding_eligible"] == "y"
    assert manager.get("/admin/sessions/training-defaults/?id=999999").status_code == 404
    assert manager.get("/admin/sessions/training-defaults/?id=abc").status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"training": "999999", "year": "2027"}, "training"),
        ({"training": "", "year": "2027"}, "training"),
        ({"year": "3000"}, "year"),
        ({"year": "2027", "capacity_min": "9", "capacity_target": "8", "capacity_max": "10"}, "capacity_min"),
    ],
)
def test_bad_creation_input(manager, db, training, data, field):
    data.setdefault("training", str(training.id))
    response = post_form(manager, "/admin/sessions/new/", data)
    assert response.status_code == 200
    assert field_errors(text(response), field)
    assert count_rows(db, TrainingSession) == 0


def test_reminder_updates_with_costs_and_evaluation(manager, db):
    session = factories.make_session()
    url = f"/admin/sessions/details/?id={session.id}"
    page = text(manager.get(url))
    assert "coûts" in re.search(r'id="reminder-box">(.*?)</div>', page, re.S).group(1)
    db.session.add(
        Cost(session=session, cost_type=factories.make_named(factories.CostType), amount=Decimal(100))
    )
    db.session.flush()
    box = re.search(r'id="reminder-box">(.*?)</div>', text(manager.get(url)), re.S).group(1)
    assert "évaluation" in box and "coûts" not in box
    session.evaluation = factories.make_named(factories.Evaluation)
    db.session.flush()
    assert 'id="reminder-box"' not in text(manager.get(url))


# --- Publish -------------------------------------------------------------------------------


def test_publication_from_the_planning_tab(manager, db):
    session = factories.make_session()
    page = text(manager.get(f"/admin/sessions/details/?id={session.id}&tab=planning"))
    assert 'id="edit-publication"' in page and "Publié application client" in page
    response = post_form(
        manager, f"/admin/sessions/publication/?id={session.id}", {"publication": "published"}
    )
    assert response.status_code == 302
    assert session.publication == Publication.PUBLISHED
    assert 'id="draft-box"' not in text(manager.get(f"/admin/sessions/details/?id={session.id}"))
    post_form(manager, f"/admin/sessions/publication/?id={session.id}", {"publication": "bogus"})
    assert session.publication == Publication.PUBLISHED


def test_bulk_publish_and_back_to_draft(manager, db):
    first, second = factories.make_session(), factories.make_session()
    ids = [str(first.id), str(second.id)]
    response = post_form(manager, "/admin/sessions/action/", {"action": "publish", "rowid": ids})
    assert response.status_code == 302
    assert first.publication == second.publication == Publication.PUBLISHED
    post_form(manager, "/admin/sessions/action/", {"action": "unpublish", "rowid": [str(first.id)]})
    assert first.publication == Publication.DRAFT and second.publication == Publication.PUBLISHED


def test_drafts_filter_and_badge(manager, db):
    factories.make_session(label="Session brouillon")
    factories.make_session(label="Session publiée", publication=Publication.PUBLISHED)
    page = text(manager.get("/admin/sessions/"))
    drafts_url = re.search(r'href="([^"]+)" class="nav-link" id="drafts-tab"', page).group(1)
    drafts = text(manager.get(drafts_url))
    assert "Session brouillon" in drafts and "Session publiée" not in drafts
    assert 'class="badge ta-badge-draft">Brouillon</span>' in drafts


def test_exports_leave_drafts_out_and_say_so(manager, db):
    factories.make_session(label="=Brouillon caché")
    factories.make_session(label="Publiée A", publication=Publication.PUBLISHED)
    factories.make_session(label="Brouillon B")
    response = manager.get("/admin/sessions/export/csv/")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [row[1] for row in rows[1:]] == ["Publiée A"], "no draft, and no sentence as a data row"
    page = text(manager.get("/admin/sessions/"))
    assert "2 sessions en brouillon exclues de cet export." in page, "said before the download"
    workbook = load_workbook(io.BytesIO(manager.get("/admin/sessions/export/xlsx/").data))
    assert [row[0].value for row in workbook["Sessions"].iter_rows(min_row=2)] == [rows[1][0]]
    sheet_info = {key: value for key, value in workbook["Informations"].iter_rows(values_only=True)}
    assert sheet_info["Lignes exclues"] == "2 sessions en brouillon exclues de cet export."


# --- Duplicate wizard ------------------------------------------------------------------------


def test_duplicate_wizard(manager, db):
    source = factories.make_session(label="Excel — Lyon", year=2026)
    factories.make_sequence(source, label="Jour 1")
    step1 = text(manager.get("/admin/sessions/duplicate/?q=Excel"))
    assert f'<option value="{source.id}">{source.code} — Excel — Lyon</option>' in step1
    search = manager.get("/admin/sessions/duplicate/search/?q=Lyon").get_json()
    assert search["results"] == [{"id": source.id, "text": f"{source.code} — Excel — Lyon"}]

    step2 = text(manager.get(f"/admin/sessions/duplicate/?source={source.id}"))
    assert "Excel — Lyon" in step2 and 'name="start_date"' in step2 and 'name="end_date"' in step2
    response = post_form(
        manager,
        f"/admin/sessions/duplicate/?source={source.id}",
        {"year": "2027", "start_date": "2027-03-01", "end_date": "2027-03-02"},
    )
    page = text(response)
    copy = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.id != source.id))
    assert copy.code == "2027-0001" and [s.label for s in copy.sequences] == ["Jour 1"]
    assert f'href="/admin/sessions/details/?id={copy.id}"' in page and "Accéder à la session" in page
    history = text(manager.get(f"/admin/sessions/details/?id={copy.id}&tab=history"))
    assert "Dupliquée depuis" in history and source.code in history


def test_duplicate_year_defaults_from_the_start_date(manager, db):
    """Duplicated in December for next January: the code takes next year, from « Date de début »."""
    source = factories.make_session(year=2026)
    step2 = text(manager.get(f"/admin/sessions/duplicate/?source={source.id}"))
    assert "Vide : l'année de la date de début." in step2
    response = post_form(
        manager,
        f"/admin/sessions/duplicate/?source={source.id}",
        {"year": "", "start_date": "2027-01-11", "end_date": "2027-01-12"},
    )
    assert response.status_code == 200
    copy = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.id != source.id))
    assert copy.year == 2027 and copy.code == "2027-0001"
    # A year given wins over the date's.
    post_form(
        manager,
        f"/admin/sessions/duplicate/?source={source.id}",
        {"year": "2026", "start_date": "2027-01-11", "end_date": "2027-01-12"},
    )
    assert db.session.scalar(sa.select(sa.func.max(TrainingSession.code)).where(TrainingSession.year == 2026))
    # Neither: the message is next to « Année », nothing is created.
    empty = {"year": "", "start_date": "", "end_date": ""}
    refused = post_form(manager, f"/admin/sessions/duplicate/?source={source.id}", empty)
    assert field_errors(text(refused), "year") == ["Indiquez l'année ou la date de début."]
    assert count_rows(db, TrainingSession) == 3


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"year": "2027", "start_date": "2027-03-02", "end_date": "2027-03-01"}, "end_date"),
        ({"year": "1850", "start_date": "2027-03-01", "end_date": "2027-03-02"}, "year"),
        ({"year": "2027", "start_date": "pas une date", "end_date": "2027-03-02"}, "start_date"),
    ],
)
def test_duplicate_bad_input(manager, db, data, field):
    source = factories.make_session()
    response = post_form(manager, f"/admin/sessions/duplicate/?source={source.id}", data)
    assert response.status_code == 200
    assert field_errors(text(response), field)
    assert count_rows(db, TrainingSession) == 1


def test_duplicate_of_an_unknown_session(manager, db):
    page = text(manager.get("/admin/sessions/duplicate/?source=999999"))
    assert "Choisissez une session existante." in page
    raw = manager.get("/admin/sessions/duplicate/?source=<script>").get_data(as_text=True)
    assert "Choisissez une session existante." in unescape(raw)
    assert "source=<script>" not in raw  # echoed only escaped


def test_row_action_duplicate(manager, db):
    session = factories.make_session()
    assert f"/admin/sessions/duplicate/?source={session.id}" in text(manager.get("/admin/sessions/"))


# --- Lock after enrolment ---------------------------------------------------------------------


def test_manager_meets_the_lock(manager, db):
    session = factories.make_session(label="Verrouillée")
    factories.enrol(session)
    page = text(manager.get(f"/admin/sessions/edit/?id={session.id}"))
    assert 'id="lock-reason"' in page and '<fieldset disabled id="read-only-form">' in page
    assert 'value="Sauvegarder"' not in page
    response = post_form(
        manager,
        f"/admin/sessions/edit/?id={session.id}",
        {"label": "Changée", "training": str(session.training_id)},
    )
    assert response.status_code == 403
    assert "seul un responsable opérationnel ou un administrateur" in text(response).lower()
    assert session.label == "Verrouillée"
    response = post_form(
        manager, f"/admin/sessions/publication/?id={session.id}", {"publication": "published"}
    )
    assert response.status_code == 403


def test_bulk_action_skips_locked_sessions_and_says_which(manager, db):
    free, locked = factories.make_session(), factories.make_session()
    factories.enrol(locked)
    response = post_form(
        manager, "/admin/sessions/action/", {"action": "publish", "rowid": [str(free.id), str(locked.id)]}
    )
    page = text(manager.get(response.headers["Location"]))
    assert locked.code in " ".join(flashed_errors(page)) or locked.code in page
    assert free.publication == Publication.PUBLISHED and locked.publication == Publication.DRAFT


def test_ops_manager_changes_a_locked_session_with_a_reason(login_as, db):
    ops = login_as(Role.OPS_MANAGER)
    session = factories.make_session(label="Avant", capacity_min=3, capacity_target=6, capacity_max=10)
    factories.enrol(session)
    form = {
        "training": str(session.training_id),
        "year": str(session.year),
        "label": "Après",
        "session_type": "intra",
        "capacity_min": "3",
        "capacity_target": "6",
        "capacity_max": "10",
        "calendar_invitations": "y",
        "expected_version": str(session.version),
    }
    page = text(ops.get(f"/admin/sessions/edit/?id={session.id}"))
    assert 'id="lock-warning"' in page and 'name="change_reason"' in page
    response = post_form(ops, f"/admin/sessions/edit/?id={session.id}", form)
    assert field_errors(text(response), "change_reason")
    assert session.label == "Avant"
    response = post_form(
        ops, f"/admin/sessions/edit/?id={session.id}", {**form, "change_reason": "Demande client"}
    )
    assert response.status_code == 302
    assert session.label == "Après"
    assert history_lines(session.id)[0] == "Modification : Libellé : Avant → Après [Demande client]"


# --- Concurrent edits ------------------------------------------------------------------------


def test_second_save_gets_a_conflict_and_keeps_its_input(login_as, db):
    first, second = login_as(Role.MANAGER), login_as(Role.OPS_MANAGER)
    session = factories.make_session(label="Origine", capacity_min=3, capacity_target=6, capacity_max=10)
    version = str(session.version)
    base = {
        "training": str(session.training_id),
        "year": str(session.year),
        "session_type": "intra",
        "capacity_min": "3",
        "capacity_target": "6",
        "capacity_max": "10",
        "expected_version": version,
    }
    assert (
        post_form(first, f"/admin/sessions/edit/?id={session.id}", {**base, "label": "Première"}).status_code
        == 302
    )
    response = post_form(second, f"/admin/sessions/edit/?id={session.id}", {**base, "label": "Seconde"})
    page = text(response)
    assert response.status_code == 200
    assert "Quelqu'un a enregistré cette session" in page
    assert 'value="Seconde"' in page
    assert session.label == "Première"


# --- Workflow --------------------------------------------------------------------------------


def test_workflow_from_the_planning_tab(manager, db):
    session = factories.make_session()
    url = f"/admin/sessions/status/?id={session.id}"
    page = text(manager.get(post_form(manager, url, {"status": "confirmed"}).headers["Location"]))
    assert "Ajoutez au moins un créneau" in page and session.status == WorkflowStatus.CREATED
    factories.make_slot(factories.make_sequence(session), days=[date(2027, 3, 15)])
    post_form(manager, url, {"status": "confirmed"})
    assert session.status == WorkflowStatus.CONFIRMED
    page = text(manager.get(post_form(manager, url, {"status": "cancelled"}).headers["Location"]))
    assert session.status == WorkflowStatus.CONFIRMED and "motif" in page.lower()
    post_form(manager, url, {"status": "cancelled", "cancel_reason": "Formateur indisponible"})
    assert session.status == WorkflowStatus.CANCELLED
    post_form(manager, url, {"status": "nonsense"})
    assert session.status == WorkflowStatus.CANCELLED


# --- History ---------------------------------------------------------------------------------


def test_history_tab_newest_first_and_paginated(manager, db):
    session = factories.make_session(label="v0")
    for number in range(1, 56):
        update_session(session, {"label": f"v{number}"}, None)
    db.session.flush()
    page = text(manager.get(f"/admin/sessions/details/?id={session.id}&tab=history"))
    rows = re.findall(r"<tr>\s*<td class=\"text-nowrap\">.*?</tr>", page, re.S)
    assert len(rows) == 50
    assert "v54" in rows[0] and "v55" in rows[0] and "Système" in rows[0]
    second = text(manager.get(f"/admin/sessions/details/?id={session.id}&tab=history&page=2"))
    assert "Libellé : v0 → v1" in second and "v54 → v55" not in second


def test_viewer_cannot_use_session_write_pages(login_as, db):
    viewer = login_as(Role.VIEWER)
    session = factories.make_session()
    assert 'id="create-session"' not in text(viewer.get("/admin/sessions/"))
    assert viewer.get("/admin/sessions/start/").status_code == 403
    assert viewer.get(f"/admin/sessions/duplicate/?source={session.id}").status_code == 403
    assert (
        post_form(
            viewer, f"/admin/sessions/publication/?id={session.id}", {"publication": "published"}
        ).status_code
        == 403
    )
    assert (
        post_form(viewer, f"/admin/sessions/status/?id={session.id}", {"status": "cancelled"}).status_code
        == 403
    )
    assert viewer.get(f"/admin/sessions/details/?id={session.id}").status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPS_MANAGER, Role.MANAGER])
def test_the_slot_list_is_read_only_the_planning_editor_is_the_one_door(login_as, db, role):
    """« Sessions › Créneaux » lists every slot; adding, changing or deleting one is done in the
    session's planning editor, which checks clashes, keeps the history and updates invitations."""
    client = login_as(role)
    slot = factories.make_slot(days=[date(2027, 5, 3)])
    session = slot.sequence.session
    factories.enrol(session)
    form = {
        "sequence": str(slot.sequence_id),
        "dates-0-id": str(slot.dates[0].id),
        "dates-0-day": "2027-05-04",
        "dates-0-start_time": "09:00",
        "dates-0-end_time": "17:00",
        "dates-0-break_minutes": "60",
        "change_reason": "Salle indisponible",
    }
    assert post_form(client, f"/admin/slots/edit/?id={slot.id}", form).status_code == 403
    assert post_form(client, "/admin/slots/new/", form).status_code == 403
    assert post_form(client, "/admin/slots/delete/", {"id": slot.id}).status_code == 403
    db.session.expire_all()
    assert [d.day for d in slot.dates] == [date(2027, 5, 3)] and count_rows(db, type(slot)) == 1
    listing = text(client.get("/admin/slots/"))
    assert (
        session.code in listing and "/admin/slots/edit/" not in listing and "/admin/slots/new/" not in listing
    )
    editor = (
        f"/admin/sessions/details/?id={session.id}&amp;open={slot.sequence_id}#sequence-{slot.sequence_id}"
    )
    assert editor.replace("&amp;", "&") in listing or editor in listing


def test_session_page_shows_the_fields_users_know(manager, db):
    session = factories.make_session()
    page = text(manager.get(f"/admin/sessions/details/?id={session.id}"))
    for label in ("Formation", "Capacité max", "Publié application client", "Statut du workflow"):
        assert label in page
    for technical in ("Version", "External Ref", "Planned Start Date", "Missing From Feed"):
        assert technical not in page


# --- The workflow of a session with enrolled collaborators -------------------------------------------


def test_a_manager_cannot_move_the_workflow_of_a_session_with_enrolled_collaborators(login_as, db):
    from trainadmin.models import OutboxMessage

    manager, ops = login_as(Role.MANAGER), login_as(Role.OPS_MANAGER)
    slot = factories.make_slot(days=[date(2027, 5, 3)])
    session = slot.sequence.session
    for _ in range(3):
        factories.enrol(session)
    db.session.flush()
    planning_tab = text(manager.get(f"/admin/sessions/details/?id={session.id}&tab=planning"))
    assert "Annuler la session" not in planning_tab and 'id="workflow-actions"' not in planning_tab

    for status in ("cancelled", "confirmed"):
        response = post_form(
            manager,
            f"/admin/sessions/status/?id={session.id}",
            {"status": status, "cancel_reason": "Tentative"},
        )
        assert response.status_code == 403
    db.session.expire_all()
    assert session.status == WorkflowStatus.CREATED
    assert count_rows(db, OutboxMessage) == 0  # nobody was told of a cancellation that did not happen

    response = post_form(ops, f"/admin/sessions/status/?id={session.id}", {"status": "confirmed"})
    assert "indiquez le motif de la modification" in text(ops.get(response.headers["Location"]))
    db.session.expire_all()
    assert session.status == WorkflowStatus.CREATED
    ops_tab = text(ops.get(f"/admin/sessions/details/?id={session.id}&tab=planning"))
    assert 'name="change_reason"' in ops_tab
    post_form(
        ops,
        f"/admin/sessions/status/?id={session.id}",
        {"status": "confirmed", "change_reason": "Client d'accord"},
    )
    db.session.expire_all()
    assert session.status == WorkflowStatus.CONFIRMED
    assert (
        history_lines(session.id)[0]
        == "Modification : Statut du workflow : Créé → Confirmé [Client d'accord]"
    )
