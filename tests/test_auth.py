"""Logging in and out."""

from __future__ import annotations

import pytest

from trainadmin.auth import safe_next
from trainadmin.models import Role

from .conftest import PASSWORD, csrf_token, login


def test_good_password_logs_in_and_lands_on_the_dashboard(client, users):
    response = login(client, users[Role.MANAGER].email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert "Tableau de bord" in page


def test_email_is_case_insensitive(client, users):
    response = login(client, users[Role.MANAGER].email.upper())
    assert response.status_code == 302


@pytest.mark.parametrize("email", ["known", "unknown@example.com"])
def test_wrong_password_and_unknown_user_get_the_same_message(client, users, email):
    address = users[Role.MANAGER].email if email == "known" else email
    response = login(client, address, "not-the-password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect." in page
    assert client.get("/admin/").status_code == 302


def test_inactive_user_cannot_log_in(client, users, db):
    users[Role.MANAGER].active = False
    db.session.flush()
    assert login(client, users[Role.MANAGER].email).status_code == 401


def test_empty_form_shows_field_messages(client, db):
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "invalid-feedback" in response.get_data(as_text=True)


def test_logout_needs_post_and_ends_the_session(client, users):
    login(client, users[Role.ADMIN].email)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_next_redirects_to_a_local_path(client, users):
    token = csrf_token(client)
    response = client.post(
        "/login?next=/admin/trainings/",
        data={"email": users[Role.ADMIN].email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/trainings/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "admin/",
        "/\x00x",
    ],
)
def test_next_never_leaves_the_site(client, users, target):
    assert safe_next(target) is None
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": users[Role.ADMIN].email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/"


def test_anonymous_redirect_keeps_the_page_asked_for(client, db):
    response = client.get("/admin/trainings/?page=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/trainings/?page%3D1"


def test_user_can_switch_to_english(client, users):
    login(client, users[Role.VIEWER].email)
    client.post("/locale/en", data={"csrf_token": csrf_token(client, "/admin/"), "next": "/admin/"})
    assert "Dashboard" in client.get("/admin/").get_data(as_text=True)
    assert users[Role.VIEWER].locale == "en"
