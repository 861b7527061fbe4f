"""Security headers on every response; downloads keep their own stricter policy."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from trainadmin.models import Role
from trainadmin.services.documents.storage import save_upload

from . import factories


def assert_hardened(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], "inline scripts stay blocked"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


PATHS = ["/login", "/admin/", "/admin/sessions/", "/admin/no-such-page", "/api/v1/sessions"]


@pytest.mark.parametrize("path", PATHS)
def test_every_kind_of_response_carries_the_headers(login_as, path):
    response = login_as(Role.MANAGER).get(path)
    assert response.status_code in {200, 302, 401, 403, 404}
    assert_hardened(response)


def test_each_page_has_its_own_nonce_and_the_admin_scripts_carry_it(login_as):
    client = login_as(Role.MANAGER)
    first = client.get("/admin/sessions/")
    second = client.get("/admin/sessions/")
    nonces = [r.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0] for r in (first, second)]
    assert nonces[0] != nonces[1]
    html = first.get_data(as_text=True)
    inline_scripts = html.count("<script>") + html.count("<script nonce") + html.count('<script type="text')
    assert inline_scripts > 0
    assert html.count(f'nonce="{nonces[0]}"') >= html.count("<script nonce")
    assert "<script>" not in html, "an inline script without the nonce would be blocked"


def test_a_download_keeps_its_sandbox_policy(login_as, db, storage):
    session = factories.make_session()
    document_type = factories.make_named(factories.DocumentType, name="Contract")
    document = save_upload(
        FileStorage(stream=io.BytesIO(factories.PDF_BYTES), filename="convention.pdf"),
        document_type_id=document_type.id,
        user=None,
        session=session,
    )
    db.session.flush()
    response = login_as(Role.MANAGER).get(f"/admin/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_only_flask_admins_own_inline_handlers_are_allowed_by_hash():
    from trainadmin.security import allowed_handler_hashes

    allowed = '<a onclick="return modelActions.execute(&#39;publish&#39;);">x</a><a onclick="return false;">'
    hostile = (
        '<a onclick="return modelActions.execute(&#39;x&#39;);alert(1)">'
        '<img onerror="alert(1)"><a onclick="fetch(&#39;//evil.example&#39;)">'
    )
    assert len(allowed_handler_hashes(allowed)) == 2
    assert allowed_handler_hashes(hostile) == []


def test_a_handler_shape_outside_an_event_attribute_is_not_allowed():
    from trainadmin.security import allowed_handler_hashes

    assert allowed_handler_hashes('<a title="return false;" data-x="return false;">') == []
    assert len(allowed_handler_hashes(b'<a\n  onclick="return false;">')) == 1


def test_bulk_action_handlers_are_in_the_policy_of_the_list(login_as, db):
    factories.make_session()
    response = login_as(Role.ADMIN).get("/admin/sessions/")
    policy = response.headers["Content-Security-Policy"]
    assert "modelActions.execute" in response.get_data(as_text=True)
    assert "'unsafe-hashes' 'sha256-" in policy


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("notes.txt", b"Plain notes\n", "text/plain; charset=utf-8"),
        ("émargement.csv", "Nom;Prénom\nDurand;Paul\n".encode(), "text/csv; charset=utf-8"),
    ],
)
def test_a_text_download_names_its_charset_once(login_as, db, storage, name, data, content_type):
    document_type = factories.make_named(factories.DocumentType, name="Notes")
    document = save_upload(
        FileStorage(stream=io.BytesIO(data), filename=name),
        document_type_id=document_type.id,
        user=None,
        session=factories.make_session(),
    )
    db.session.flush()
    response = login_as(Role.MANAGER).get(f"/admin/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.data == data


def test_no_hsts_without_https(login_as):
    assert "Strict-Transport-Security" not in login_as(Role.MANAGER).get("/admin/").headers


def test_hsts_on_every_response_when_served_over_https(app, tmp_path):
    from trainadmin import create_app

    from .conftest import _test_config
    from .test_security_login import close

    https_app = create_app(
        {**_test_config(app.config["DATABASE_URL"], str(tmp_path)), "TRAINADMIN_HTTPS": True}
    )
    client = https_app.test_client()
    for path in ("/login", "/admin/", "/healthz", "/no-such-page"):
        response = client.get(path, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", path
    close(https_app)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_the_session_lists_policy_is_the_one_its_page_calls_for(login_as, db, role):
    """The session list gives its policy itself (its handlers' hashes found once with the parts
    drawn per role and language): the same policy as the one found by reading the whole page."""
    from trainadmin.security import allowed_handler_hashes, content_security_policy

    factories.make_session(label='Piège <a onclick="return false;">« return false; »</a>')
    client = login_as(role)
    for query in ("", "?search=return+false%3B", '?search="return+false;"', "?page_size=50&sort=1&desc=1"):
        response = client.get("/admin/sessions/" + query)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert f'nonce="{nonce}"' in page
        expected = content_security_policy(nonce, allowed_handler_hashes(page))
        assert response.headers["Content-Security-Policy"] == expected, query
        assert_hardened(response)
