"""The links sent to people without an account: tokens kept only hashed, bound to one purpose and
one object, expiring, single use, revocable; their pages private (no Referer, not cached), rate
limited per address, and no token in any log line."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import AccessLink, LinkPurpose
from trainadmin.models.types import utcnow
from trainadmin.services import links

from . import factories


def manager_link(request=None, **kw):
    request = request or factories.make_request()
    return links.issue(LinkPurpose.MANAGER_DECISION, "manager@example.com", request_id=request.id, **kw)


def test_a_link_keeps_only_the_hash_of_its_token(any_db):
    link, token = manager_link()
    assert len(token) == 32 and token not in link.token_hash
    stored = any_db.session.execute(sa.select(AccessLink.__table__)).one()._mapping
    assert token not in {str(value) for value in stored.values()}
    assert links.find(token, LinkPurpose.MANAGER_DECISION) is link


def test_finding_a_link_is_one_indexed_query(app, db, count_queries):
    _link, token = manager_link()
    db.session.expire_all()
    with count_queries() as counter:
        links.find(token, LinkPurpose.MANAGER_DECISION)
    assert counter.count == 1
    plan = db.session.execute(
        sa.text("EXPLAIN SELECT * FROM access_link WHERE token_hash = :h"), {"h": links.token_hash(token)}
    ).scalars()
    assert "uq_access_link_token_hash" in " ".join(plan)


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character changed
        lambda token: token[:-1],  # cut
        lambda token: token + "A",  # lengthened
        lambda token: "",
        lambda token: "../" + token[3:],
        lambda token: "x" * 5000,
    ],
)
def test_a_tampered_token_is_unknown(any_db, change):
    _link, token = manager_link()
    with pytest.raises(links.LinkRefused) as refused:
        links.find(change(token))
    assert refused.value.refusal == links.Refusal.UNKNOWN


def test_a_token_of_another_purpose_is_unknown(any_db):
    _link, token = manager_link()
    with pytest.raises(links.LinkRefused) as refused:
        links.find(token, LinkPurpose.SURVEY)
    assert refused.value.refusal == links.Refusal.UNKNOWN and refused.value.link is None


def test_expired_used_and_replaced_links_are_refused_with_their_reason(any_db):
    request = factories.make_request()
    now = utcnow()
    expiring, token = manager_link(request, valid_for=timedelta(days=1), now=now - timedelta(days=2))
    with pytest.raises(links.LinkRefused) as refused:
        links.find(token)
    assert refused.value.refusal == links.Refusal.EXPIRED
    first, first_token = manager_link(request)
    assert expiring.revoked_at is None  # (expired already: « Renvoyer » replaces only live links)
    second, second_token = manager_link(request)  # « Renvoyer le lien »
    any_db.session.expire_all()
    with pytest.raises(links.LinkRefused) as refused:
        links.find(first_token)
    assert refused.value.refusal == links.Refusal.REVOKED
    assert links.find(second_token) == second
    links.use(second)
    with pytest.raises(links.LinkRefused) as refused:
        links.find(second_token)
    assert refused.value.refusal == links.Refusal.USED
    with pytest.raises(links.LinkRefused):
        links.use(second)  # the second of two uses at once


def test_a_link_of_one_demande_does_not_replace_another_demandes(any_db):
    _one, one_token = manager_link()
    manager_link()
    assert links.find(one_token)


def test_a_link_needs_its_object(any_db):
    with pytest.raises(ValueError):
        links.issue(LinkPurpose.SIGN_IN, "someone@example.com", request_id=1)


def test_a_refused_link_page_is_private_and_says_why(any_app, any_db):
    client = any_app.test_client()
    response = client.get("/l/" + "A" * 32)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'id="link-refused"' in page and "A" * 32 not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    _link, token = manager_link(valid_for=timedelta(days=-1))
    expired = client.get(f"/l/{token}")
    assert expired.status_code == 410 and 'data-refusal="expired"' in expired.get_data(as_text=True)


def test_guessing_tokens_is_rate_limited_per_address(app, db):
    app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "5/hour"
    try:
        client = app.test_client()
        codes = [client.get(f"/l/{'B' * 31}{n}").status_code for n in range(7)]
        assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]
        _link, token = manager_link()
        assert client.get(f"/l/{token}").status_code == 429  # even a good one, from that address
        other = app.test_client()
        response = other.get(f"/l/{token}", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert response.status_code != 429
    finally:
        app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "20/hour"


def test_no_token_in_any_log_line(any_app, any_db, caplog):
    _link, token = manager_link()
    client = any_app.test_client()
    with caplog.at_level(logging.DEBUG):
        client.get(f"/l/{token}")
        client.get(f"/l/{token}/calendar.ics")
        client.post(f"/l/{token}", data={"decision": "accept"})
        client.get("/l/" + "C" * 32)
    lines = [record.getMessage() + " " + str(vars(record)) for record in caplog.records]
    assert lines, "the requests were logged"
    assert not [line for line in lines if token in line or "C" * 32 in line]
    assert any("/l/…" in line for line in lines)


def test_the_development_servers_access_log_leaves_the_token_out():
    from trainadmin.logs import RedactLinkTokens

    line = ("127.0.0.1", "GET /l/SECRETTOKEN HTTP/1.1", 200)
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s "%s" %s', line, None)
    RedactLinkTokens().filter(record)
    assert "SECRETTOKEN" not in record.getMessage() and "/l/…" in record.getMessage()
    message = "Exception on /l/SECRET2 [GET]"
    flask_line = logging.LogRecord("app", logging.ERROR, __file__, 1, message, (), None)
    RedactLinkTokens().filter(flask_line)
    assert "SECRET2" not in flask_line.getMessage()


def test_the_rate_limits_are_checked_at_start(tmp_path):
    from trainadmin.config import ConfigError, load

    with pytest.raises(ConfigError, match="TRAINADMIN_LINK_LIMIT"):
        load(tmp_path, {"TRAINADMIN_LINK_LIMIT": "often"})


def test_the_links_table_is_empty_of_tokens_after_a_request(any_app, any_db):
    """(The refused page of an unknown token writes nothing.)"""
    client = any_app.test_client()
    client.get("/l/" + "D" * 32)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AccessLink)) == 0


def test_gunicorns_access_log_leaves_the_token_out():
    from datetime import timedelta as span
    from types import SimpleNamespace

    from gunicorn.config import Config

    from trainadmin.gunicorn_logger import RedactingLogger

    token = "T" * 32
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/l/{token}/calendar.ics?x=1",
        "PATH_INFO": f"/l/{token}/calendar.ics",
        "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": f"https://formation.example.com/l/{token}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"https://x/l/{token}")])
    atoms = RedactingLogger(Config()).atoms(response, request, environ, span(milliseconds=3))
    assert token not in str(atoms)
    assert atoms["r"] == "GET /l/…/calendar.ics?x=1 HTTP/1.1" and atoms["U"] == "/l/…/calendar.ics"


def test_replaced_links_fetched_often_do_not_lock_the_address_out(app, db):
    """A calendar service fetches a replaced feed for many subscribers from one address: those 410s
    are not guesses; only unknown tokens (404) count against the stricter limit."""
    app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "3/hour"
    try:
        request = factories.make_request()
        _old, old_token = links.issue(LinkPurpose.MANAGER_DECISION, "m@example.com", request_id=request.id)
        _new, new_token = links.issue(LinkPurpose.MANAGER_DECISION, "m@example.com", request_id=request.id)
        client = app.test_client()
        assert [client.get(f"/l/{old_token}").status_code for _ in range(6)] == [410] * 6
        assert client.get(f"/l/{new_token}").status_code != 429
    finally:
        app.config["TRAINADMIN_LINK_FAILURE_LIMIT"] = "20/hour"
