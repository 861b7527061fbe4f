"""Reference data through the real admin forms: saved when right, French messages when wrong."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainadmin.models import Collaborator, Location, Partner, Role, Room, Training, User

from . import factories
from .conftest import count_rows, field_errors, flashed_errors, post_form


def test_training_with_defaults_and_default_costs(admin, db):
    cost_type = factories.make_named(factories.CostType, name="Animation")
    organisation = factories.make_named(factories.TrainingOrganisation, name="Cegos")
    response = post_form(
        admin,
        "/admin/trainings/new/",
        {
            "name": "Manager une équipe",
            "session_type": "inter",
            "organisation": str(organisation.id),
            "capacity_min": "4",
            "capacity_target": "8",
            "capacity_max": "12",
            "funding_eligible": "y",
            "comments": "Prévoir un vidéoprojecteur",
            "default_costs-0-cost_type": str(cost_type.id),
            "default_costs-0-amount": "1500.50",
        },
    )
    assert response.status_code == 302, flashed_errors(response.get_data(as_text=True))
    training = db.session.scalar(sa.select(Training).where(Training.name == "Manager une équipe"))
    assert training.session_type == "inter"
    assert training.organisation == organisation
    assert training.funding_eligible is True
    assert str(training.default_cost_for(cost_type.id)) == "1500.50"


@pytest.mark.parametrize(
    ("capacities", "field", "message"),
    [
        (("10", "8", "12"), "capacity_min", "La capacité minimale ne peut pas dépasser la capacité cible."),
        (
            ("4", "15", "12"),
            "capacity_target",
            "La capacité cible ne peut pas dépasser la capacité maximale.",
        ),
        (("-1", "8", "12"), "capacity_min", None),
        (("4", "abc", "12"), "capacity_target", None),
    ],
)
def test_bad_capacities_are_refused_next_to_the_field(admin, db, capacities, field, message):
    before = count_rows(db, Training)
    minimum, target, maximum = capacities
    response = post_form(
        admin,
        "/admin/trainings/new/",
        {
            "name": "Formation refusée",
            "session_type": "intra",
            "capacity_min": minimum,
            "capacity_target": target,
            "capacity_max": maximum,
        },
    )
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), field)
    assert errors, f"no message under {field}"
    if message:
        assert errors == [message]
    assert count_rows(db, Training) == before


def test_required_field_message_is_french(admin, db):
    response = post_form(admin, "/admin/certifications/new/", {"name": ""})
    assert field_errors(response.get_data(as_text=True), "name") == ["Ce champ est requis."]


def test_duplicate_name_is_refused(admin, db):
    factories.make_named(factories.Certification, name="CACES R489")
    response = post_form(admin, "/admin/certifications/new/", {"name": "CACES R489"})
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "name")
    assert count_rows(db, factories.Certification) == 1


def test_location_with_rooms_and_bad_room_capacity(admin, db):
    response = post_form(
        admin,
        "/admin/locations/new/",
        {
            "name": "Campus Lyon Part-Dieu",
            "city": "Lyon",
            "contact_email": "accueil@campus.fr",
            "rooms-0-name": "Salle Rhône",
            "rooms-0-capacity": "16",
            "rooms-1-name": "Salle Saône",
            "rooms-1-capacity": "8",
        },
    )
    assert response.status_code == 302
    location = db.session.scalar(sa.select(Location).where(Location.name == "Campus Lyon Part-Dieu"))
    assert sorted((r.name, r.capacity) for r in location.rooms) == [("Salle Rhône", 16), ("Salle Saône", 8)]

    rooms_before = count_rows(db, Room)
    response = post_form(
        admin,
        "/admin/locations/new/",
        {
            "name": "Campus Nantes",
            "rooms-0-name": "Salle Loire",
            "rooms-0-capacity": "-3",
        },
    )
    assert response.status_code == 200
    assert "Campus Nantes" not in [loc.name for loc in db.session.scalars(sa.select(Location))]
    assert count_rows(db, Room) == rooms_before


def test_collaborator_with_populations_and_bad_emails(admin, db):
    cadres = factories.make_named(factories.Population, name="Cadres")
    response = post_form(
        admin,
        "/admin/collaborators/new/",
        {
            "first_name": "Inès",
            "last_name": "Moreau",
            "email": "ines.moreau@example.com",
            "manager_email": "chef@example.com",
            "populations": [str(cadres.id)],
        },
    )
    assert response.status_code == 302
    collaborator = db.session.scalar(
        sa.select(Collaborator).where(Collaborator.email == "ines.moreau@example.com")
    )
    assert collaborator.populations == [cadres]

    response = post_form(
        admin,
        "/admin/collaborators/new/",
        {
            "first_name": "Luc",
            "last_name": "Petit",
            "email": "pas-une-adresse",
            "manager_email": "non@",
        },
    )
    html = response.get_data(as_text=True)
    assert field_errors(html, "email") == ["Adresse e-mail invalide."]
    assert field_errors(html, "manager_email") == ["Adresse e-mail invalide."]
    assert count_rows(db, Collaborator) == 1


def test_deleting_a_training_used_by_a_session_is_refused_in_french(admin, db):
    session = factories.make_session()
    response = post_form(admin, "/admin/trainings/delete/", {"id": session.training.id})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert any("encore utilisé" in message for message in flashed_errors(page))
    assert db.session.get(Training, session.training.id) is not None


def test_partner_feed_and_schedule_are_checked(admin, db):
    response = post_form(
        admin,
        "/admin/partners/new/",
        {
            "name": "Campus Partenaires",
            "feed_format": "csv",
            "source_kind": "url",
            "source": "http://insecure.example/feed.csv",
            "schedule": "every night",
            "unknown_policy": "reject",
            "publication": "draft",
        },
    )
    html = response.get_data(as_text=True)
    assert field_errors(html, "source") == ["Saisissez une adresse commençant par https://."]
    assert field_errors(html, "schedule")
    assert count_rows(db, Partner) == 0


def test_user_password_rules_and_no_self_lockout(admin, users, db):
    response = post_form(
        admin,
        "/admin/users/new/",
        {
            "email": "nouveau@example.com",
            "role": "manager",
            "locale": "fr",
            "active": "y",
            "password": "court",
        },
    )
    assert field_errors(response.get_data(as_text=True), "password")
    response = post_form(
        admin,
        "/admin/users/new/",
        {
            "email": "nouveau@example.com",
            "role": "manager",
            "locale": "fr",
            "active": "y",
            "password": "un-mot-de-passe-solide",
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(sa.select(User).where(User.email == "nouveau@example.com"))
    assert created.check_password("un-mot-de-passe-solide")

    me = users[Role.ADMIN]
    response = post_form(
        admin,
        f"/admin/users/edit/?id={me.id}",
        {
            "email": me.email,
            "role": "viewer",
            "locale": "fr",
            "active": "y",
        },
    )
    assert response.status_code == 200
    assert me.role == Role.ADMIN
