"""The collaborator's manager accepts or refuses a demande from the link of « Demande au manager »:
the same service as the staff's buttons, « par <manager> via le lien » in the history, the training
department told; reminders, expiry, « Renvoyer le lien », whoever acts first wins."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import (
    AccessLink,
    Cost,
    CostSplit,
    OrganisationSettings,
    OutboxMessage,
    RequestStatus,
    Role,
    TrainingRequest,
)
from trainadmin.models.organisation import SINGLETON_ID
from trainadmin.models.types import utcnow
from trainadmin.services.notifications.default_rules import ensure_templates
from trainadmin.services.participants import enrol, validate
from trainadmin.services.participants.manager_links import remind_managers

from . import factories
from .conftest import CSRF_RE, post_form

LINK = re.compile(r"http://127\.0\.0\.1:5000(/l/[A-Za-z0-9_-]{32})")


@pytest.fixture
def demande(any_db):
    return make_demande(any_db)


def make_demande(any_db):
    """A demande made « with the manager's validation », as the Participants tab does."""
    ensure_templates()
    any_db.session.add(OrganisationSettings(id=SINGLETON_ID, name="Acme", training_email="formation@acme.fr"))
    session = factories.make_session(label="Excel avancé", capacity_target=10)
    sequence = factories.make_sequence(session, label="Jour 1")
    factories.make_slot(sequence, days=[date(2027, 5, 15)])
    cost_type = factories.make_named(factories.CostType, name="Pédagogie")
    any_db.session.add(
        Cost(session=session, cost_type=cost_type, amount=Decimal("4500"), split=CostSplit.GLOBAL)
    )
    collaborator = factories.make_collaborator(
        first_name="Léa", last_name="Martin", manager_email="Chef.Service@acme.fr"
    )
    [made], _refusals = enrol(session, [collaborator.id], None, one_step=False)
    return made


def messages(kind: str) -> list[OutboxMessage]:
    return _db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    ).all()


def link_in(message: OutboxMessage) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def form_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, page
    return match.group(1) or match.group(2)


def test_the_manager_gets_the_request_with_a_personal_link(demande):
    [message] = messages("manager_request")
    assert message.recipient == "chef.service@acme.fr"
    assert message.subject == "Demande de formation de Léa Martin"
    assert "Excel avancé" in message.body and "450,00 €" in message.body  # 4,500 € for 10 trainees
    path = link_in(message)
    stored = _db.session.scalars(sa.select(AccessLink)).one()
    assert path.removeprefix("/l/") not in stored.token_hash  # only its hash is kept
    assert stored.expires_at - stored.created_at == timedelta(days=14)


def test_opening_the_link_changes_nothing(any_app, demande):
    path = link_in(messages("manager_request")[0])
    client = any_app.test_client()
    for page in (path, path + "/accept", path + "/refuse"):
        response = client.get(page)
        assert response.status_code == 200
        assert "Léa Martin" in response.get_data(as_text=True)
    page = client.get(path).get_data(as_text=True)
    assert 'id="manager-accept"' in page and 'id="manager-refuse"' in page and "450,00 €" in page
    _db.session.expire_all()
    assert demande.status == RequestStatus.PENDING_MANAGER
    assert _db.session.scalars(sa.select(AccessLink.used_at)).one() is None


def test_the_manager_accepts_as_the_staff_would(any_app, demande):
    path = link_in(messages("manager_request")[0])
    client = any_app.test_client()
    token = form_token(client, path + "/accept")
    response = client.post(path + "/accept", data={"csrf_token": token, "comment": "Bonne idée"})
    assert response.status_code == 303
    _db.session.expire_all()
    assert demande.status == RequestStatus.PENDING_TRAINING
    step = demande.steps[-1]
    assert (step.actor, step.comment) == ("link:chef.service@acme.fr", "Bonne idée")
    [told] = messages("manager_decision")
    assert told.recipient == "formation@acme.fr" and "acceptée" in told.subject
    done = client.get(path)
    assert done.status_code == 200 and 'id="manager-done"' in done.get_data(as_text=True)
    again = client.post(path + "/accept", data={"csrf_token": token})
    assert again.status_code == 200 and 'id="manager-done"' in again.get_data(as_text=True)
    assert len(demande.steps) == 2  # (made, accepted): nothing more


def test_refusing_asks_why_and_saves_nothing_without_it(any_app, demande):
    path = link_in(messages("manager_request")[0])
    client = any_app.test_client()
    token = form_token(client, path + "/refuse")
    empty = client.post(path + "/refuse", data={"csrf_token": token, "comment": "  "})
    assert empty.status_code == 400
    assert 'id="manager-comment-error"' in empty.get_data(as_text=True)
    _db.session.expire_all()
    assert demande.status == RequestStatus.PENDING_MANAGER
    assert _db.session.scalars(sa.select(AccessLink.used_at)).one() is None
    response = client.post(path + "/refuse", data={"csrf_token": token, "comment": "Pas cette année"})
    assert response.status_code == 303
    _db.session.expire_all()
    assert demande.status == RequestStatus.REFUSED
    [told] = messages("manager_decision")
    assert "refusée" in told.subject and "Pas cette année" in told.body


def test_a_post_without_the_form_token_is_refused(any_app, demande):
    path = link_in(messages("manager_request")[0])
    response = any_app.test_client().post(path + "/accept", data={"comment": "ok"})
    assert response.status_code == 400
    _db.session.expire_all()
    assert demande.status == RequestStatus.PENDING_MANAGER


def test_the_staff_decided_first_the_link_says_so(any_app, demande):
    path = link_in(messages("manager_request")[0])
    client = any_app.test_client()
    token = form_token(client, path + "/accept")
    validate(demande, "Vu au téléphone")
    page = client.get(path)
    assert 'id="manager-done"' in page.get_data(as_text=True)
    response = client.post(path + "/refuse", data={"csrf_token": token, "comment": "Non"})
    assert 'id="manager-done"' in response.get_data(as_text=True)
    _db.session.expire_all()
    assert demande.status == RequestStatus.PENDING_TRAINING


def test_a_link_for_one_demande_decides_no_other(any_app, demande):
    other_collaborator = factories.make_collaborator(manager_email="autre@acme.fr")
    [other], _ = enrol(demande.session, [other_collaborator.id], None, one_step=False)
    path = link_in(messages("manager_request")[0])
    client = any_app.test_client()
    token = form_token(client, path + "/accept")
    client.post(path + "/accept", data={"csrf_token": token, "request_id": str(other.id)})
    _db.session.expire_all()
    assert (demande.status, other.status) == (RequestStatus.PENDING_TRAINING, RequestStatus.PENDING_MANAGER)


def test_a_reminder_after_the_delay_with_a_new_link_once(any_app, demande):
    first = link_in(messages("manager_request")[0])
    assert remind_managers(utcnow() + timedelta(days=2)) == 0
    assert remind_managers(utcnow() + timedelta(days=3, minutes=1)) == 1
    [reminder] = messages("manager_reminder")
    second = link_in(reminder)
    assert second != first
    assert remind_managers(utcnow() + timedelta(days=10)) == 0  # once
    client = any_app.test_client()
    old = client.get(first)
    assert old.status_code == 410 and 'data-refusal="revoked"' in old.get_data(as_text=True)
    assert client.get(second).status_code == 200


def test_an_expired_link_says_so(any_app, demande):
    stored = _db.session.scalars(sa.select(AccessLink)).one()
    stored.expires_at = utcnow() - timedelta(minutes=1)
    _db.session.flush()
    path = link_in(messages("manager_request")[0])
    expired = any_app.test_client().get(path)
    assert expired.status_code == 410 and 'data-refusal="expired"' in expired.get_data(as_text=True)


def test_staff_see_who_decided_through_the_link(app, db, login_as):
    ensure_templates()
    collaborator = factories.make_collaborator(manager_email="chef@acme.fr")
    [made], _ = enrol(factories.make_session(), [collaborator.id], None, one_step=False)
    from trainadmin.services import links
    from trainadmin.services.participants.manager_decisions import decide

    link = links.find(link_in(messages("manager_request")[0]).removeprefix("/l/"))
    decide(link, True, None)
    page = login_as(Role.MANAGER).get(f"/admin/demandes/details/?id={made.id}&tab=history")
    assert "chef@acme.fr via le lien" in page.get_data(as_text=True)


def test_staff_resend_the_link_and_a_reader_cannot(app, login_as, db):
    demande = make_demande(db)
    page = login_as(Role.MANAGER).get(f"/admin/demandes/details/?id={demande.id}").get_data(as_text=True)
    assert 'id="manager-link"' in page and "chef.service@acme.fr" in page
    viewer = login_as(Role.VIEWER)
    assert post_form(viewer, f"/admin/demandes/manager-link/?id={demande.id}", {}).status_code == 403
    manager = login_as(Role.MANAGER)
    response = post_form(manager, f"/admin/demandes/manager-link/?id={demande.id}", {})
    assert response.status_code == 302
    assert len(messages("manager_request")) == 2
    live = db.session.scalars(sa.select(AccessLink).where(AccessLink.revoked_at.is_(None))).all()
    assert len(live) == 1
    bad = post_form(manager, "/admin/demandes/manager-link/?id=abc", {})
    assert bad.status_code in (302, 404)


def test_no_manager_no_link(any_db):
    ensure_templates()
    session = factories.make_session()
    collaborator = factories.make_collaborator(manager_email=None)
    [made], _ = enrol(session, [collaborator.id], None, one_step=False)
    assert made.status == RequestStatus.PENDING_MANAGER
    assert messages("manager_request") == []
    assert any_db.session.scalar(sa.select(sa.func.count()).select_from(AccessLink)) == 0


def test_the_request_e_mails_are_default_templates(any_db):
    ensure_templates()
    from trainadmin.models import EmailKind, EmailTemplate

    kinds = set(any_db.session.scalars(sa.select(EmailTemplate.kind)))
    assert {EmailKind.MANAGER_REQUEST, EmailKind.MANAGER_REMINDER, EmailKind.MANAGER_DECISION} <= kinds
    assert TrainingRequest  # (the model the links are bound to)


def test_the_manager_decided_first_the_staffs_button_says_so(app, login_as, db):
    """The staff's page still shows « Valider (accord du manager) »; the manager accepts from the
    link meanwhile: the staff's click must not become the training department's validation."""
    demande = make_demande(db)
    staff = login_as(Role.MANAGER)
    from trainadmin.services import links
    from trainadmin.services.participants.manager_decisions import decide

    decide(links.find(link_in(messages("manager_request")[0]).removeprefix("/l/")), True, None)
    data = {"status": "pending_manager", "comment": "Accord reçu par téléphone"}
    response = post_form(staff, f"/admin/demandes/validate/?id={demande.id}", data)
    assert response.status_code == 302
    db.session.expire_all()
    assert demande.status == RequestStatus.PENDING_TRAINING  # not enrolled by the late click
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cette demande a déjà été traitée." in page
