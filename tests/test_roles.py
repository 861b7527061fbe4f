"""Every admin view × every role × every method: the role rules hold with no per-view test to write."""

from __future__ import annotations

import pytest
from flask import url_for

from trainadmin.admin_views.base import ADMIN_ONLY, SecureModelView
from trainadmin.models import Population, Role, User

from . import factories


def model_views(app) -> list[SecureModelView]:
    admin = app.extensions["admin"][0]
    return [view for view in admin._views if isinstance(view, SecureModelView)]


def test_every_view_is_secured(app):
    admin = app.extensions["admin"][0]
    for view in admin._views:
        assert hasattr(view, "read_roles"), f"{view.endpoint} does not inherit the secured base view"
    assert hasattr(admin.index_view, "read_roles")


def test_every_view_model_has_a_factory(app):
    missing = [view.model.__name__ for view in model_views(app) if view.model not in factories.FACTORIES]
    assert not missing, f"add a factory for {missing} in tests/factories.py"


def test_users_and_populations_are_admin_only(app):
    views = {view.model: view for view in model_views(app)}
    assert views[User].read_roles == ADMIN_ONLY and views[User].write_roles == ADMIN_ONLY
    assert views[Population].write_roles == ADMIN_ONLY


def _urls(view, obj_id):
    endpoint = view.endpoint
    return {
        "list": url_for(f"{endpoint}.index_view"),
        "details": url_for(f"{endpoint}.details_view", id=obj_id),
        "create_form": url_for(f"{endpoint}.create_view"),
        "edit_form": url_for(f"{endpoint}.edit_view", id=obj_id),
        "delete": url_for(f"{endpoint}.delete_view"),
    }


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(app, login_as, role):
    client = login_as(role)
    failures = []
    for view in model_views(app):
        obj = factories.make(view.model)
        with app.test_request_context():
            urls = _urls(view, obj.id)
        may_read = role in view.read_roles
        may_write = may_read and role in view.write_roles
        read_code = 200 if may_read else 403
        write_codes = {200, 302} if may_write else {403}

        def check(name, response, expected, endpoint=view.endpoint):
            if response.status_code not in (expected if isinstance(expected, set) else {expected}):
                failures.append(f"{endpoint} {name}: {response.status_code}, expected {expected}")

        check("list", client.get(urls["list"]), read_code)
        check("details", client.get(urls["details"]), read_code)
        if view.allow_create:
            check("create form", client.get(urls["create_form"]), 200 if may_write else 403)
            check(
                "create POST", client.post(urls["create_form"], data={"csrf_token": client.csrf}), write_codes
            )
        if view.allow_edit:
            check("edit form", client.get(urls["edit_form"]), 200 if may_write else 403)
            check("edit POST", client.post(urls["edit_form"], data={"csrf_token": client.csrf}), write_codes)
        if view.allow_delete:
            response = client.post(urls["delete"], data={"id": obj.id, "csrf_token": client.csrf})
            check("delete POST", response, 302 if may_write else 403)
        if may_read and not may_write:
            page = client.get(urls["list"]).get_data(as_text=True)
            if urls["create_form"] in page or "delete_form" in page or urls["edit_form"] in page:
                failures.append(f"{view.endpoint}: write controls shown to {role}")
    assert not failures, "\n".join(failures)


def test_anonymous_is_sent_to_login_everywhere(app, db):
    client = app.test_client()
    for view in [*model_views(app)]:
        obj = factories.make(view.model)
        with app.test_request_context():
            urls = _urls(view, obj.id)
        for name, url in urls.items():
            response = client.post(url) if name == "delete" else client.get(url)
            if name == "delete":
                assert response.status_code == 400  # refused before anything: no CSRF token
                continue
            assert response.status_code == 302, (view.endpoint, name)
            assert response.headers["Location"].startswith("/login?next="), (view.endpoint, name)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_post_without_csrf_token_is_refused(app, login_as):
    client = login_as(Role.ADMIN)
    training = factories.make_training()
    before = training.name
    response = client.post(f"/admin/trainings/edit/?id={training.id}", data={"name": "Changé"})
    assert response.status_code == 400
    assert "jeton" in response.get_data(as_text=True) or "token" in response.get_data(as_text=True)
    assert training.name == before


def test_viewer_cannot_run_bulk_actions(app, login_as):
    client = login_as(Role.VIEWER)
    training = factories.make_training()
    response = client.post(
        "/admin/trainings/action/",
        data={"action": "delete", "rowid": [training.id], "csrf_token": client.csrf},
    )
    assert response.status_code == 403


def test_manager_cannot_see_users(app, login_as):
    client = login_as(Role.MANAGER)
    assert client.get("/admin/users/").status_code == 403
    assert "/admin/users/" not in client.get("/admin/").get_data(as_text=True)
