"""What the generic lists write, on PostgreSQL and SQLite alike: the bulk « Supprimer » of every list
that offers it deletes the rows it can and names the ones still in use; text typed in a form is
stored trimmed on edit as it is on creation."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from trainadmin.models import Location, Role, Trainer

from . import factories
from .conftest import post_form
from .test_roles import model_views


def deletable_views(app):
    return [view for view in model_views(app) if view.allow_delete]


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_every_list_with_delete_deletes_in_bulk(any_app, any_db, login_as):
    """(on PostgreSQL the ids were compared as text: « operator does not exist: integer =
    character varying », nothing deleted, a 503)"""
    client = login_as(Role.ADMIN)
    checked = []
    for view in deletable_views(any_app):
        rows = [factories.make(view.model), factories.make(view.model)]
        ids = [str(row.id) for row in rows]
        any_db.session.flush()
        response = post_form(client, f"/admin/{view.endpoint}/action/", {"action": "delete", "rowid": ids})
        assert response.status_code == 302, view.endpoint
        any_db.session.expire_all()
        left = any_db.session.scalar(
            sa.select(sa.func.count()).select_from(view.model).where(view.model.id.in_([int(i) for i in ids]))
        )
        assert left == 0, f"{view.endpoint}: {flashed(client)}"
        checked.append(view.endpoint)
    assert len(checked) >= 15


def flashed(client) -> str:
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', text(client.get("/admin/")), re.S))


def test_a_row_still_in_use_is_kept_and_named(any_db, login_as):
    client = login_as(Role.ADMIN)
    used = factories.make_location(name="Campus Lyon")
    factories.make_slot(location=used)
    free = factories.make_location(name="Annexe")
    any_db.session.flush()
    response = post_form(
        client, "/admin/locations/action/", {"action": "delete", "rowid": [str(used.id), str(free.id)]}
    )
    page = text(client.get(response.headers["Location"]))
    assert "« Campus Lyon » n'a pas été supprimé" in page
    any_db.session.expire_all()
    names = set(any_db.session.scalars(sa.select(Location.name)))
    assert "Campus Lyon" in names and "Annexe" not in names


@pytest.mark.parametrize(
    ("endpoint", "factory", "field", "form"),
    [
        ("locations", factories.make_location, "name", {"city": "Lyon"}),
        ("trainers", factories.make_trainer, "last_name", {"first_name": "Claire", "email": "c@example.com"}),
        ("suppliers", lambda: factories.make_named(factories.Supplier), "name", {}),
    ],
)
def test_text_is_trimmed_on_edit_as_on_creation(db, login_as, endpoint, factory, field, form):
    client = login_as(Role.ADMIN)
    row = factory()
    db.session.flush()
    response = post_form(client, f"/admin/{endpoint}/edit/?id={row.id}", {**form, field: "  =1+1  "})
    assert response.status_code == 302, text(response)[:500]
    db.session.expire_all()
    assert getattr(row, field) == "=1+1"
    form = {**form, "email": "nouveau@example.com"} if "email" in form else form
    created = post_form(client, f"/admin/{endpoint}/new/", {**form, field: "   Nouveau   "})
    assert created.status_code == 302
    model = type(row)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(getattr(model, field) == "Nouveau")
        )
        == 1
    )


def test_a_trainer_name_of_spaces_only_is_refused_on_edit(db, login_as):
    client = login_as(Role.ADMIN)
    trainer = factories.make_trainer(last_name="Martin")
    response = post_form(
        client,
        f"/admin/trainers/edit/?id={trainer.id}",
        {"first_name": "Claire", "last_name": "   ", "email": trainer.email},
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Trainer, trainer.id).last_name == "Martin"
