"""Structured logs: one line per request, per job and per e-mail, JSON or text."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from trainadmin import logs
from trainadmin.config import ConfigError, load
from trainadmin.jobs import logged_job
from trainadmin.jobs.sessions import recompute_session_dates
from trainadmin.models import OutboxState, Role
from trainadmin.queue import enqueue
from trainadmin.services.notifications import delivery
from trainadmin.transaction import commit

from . import factories
from .smtp_support import running_smtp_server, use_smtp_server


def _records(caplog, logger: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == logger]


def test_a_session_page_request_logs_method_path_status_user_session_code_and_request_id(
    app, db, login_as, caplog
):
    session = factories.make_session(code="SESS-LOG-1")
    manager = login_as(Role.MANAGER)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="trainadmin.request"):
        response = manager.get(
            f"/admin/sessions/details/?id={session.id}", headers={"X-Request-ID": "abc-123"}
        )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "abc-123"
    [record] = _records(caplog, "trainadmin.request")
    assert record.method == "GET"
    assert record.path == "/admin/sessions/details/"
    assert record.status == 200
    assert record.duration_ms >= 0
    assert record.user.endswith("@example.com")
    assert record.session_code == "SESS-LOG-1"
    assert record.request_id == "abc-123"

    line = json.loads(logs.JsonFormatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == "trainadmin.request"
    assert line["status"] == 200 and line["session_code"] == "SESS-LOG-1" and line["user"] == record.user


def test_an_anonymous_request_gets_a_generated_request_id_and_no_user(app, db, caplog):
    with caplog.at_level(logging.INFO, logger="trainadmin.request"):
        response = app.test_client().get("/login", headers={"X-Request-ID": "bad id <script>"})
    [record] = _records(caplog, "trainadmin.request")
    assert record.user is None
    assert record.request_id != "bad id <script>" and len(record.request_id) == 32
    assert response.headers["X-Request-ID"] == record.request_id
    assert not hasattr(record, "session_code")


def test_a_refused_request_is_logged_with_its_status(app, db, login_as, caplog):
    viewer = login_as(Role.VIEWER)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="trainadmin.request"):
        response = viewer.get("/admin/sessions/details/?id=999999")
    [record] = _records(caplog, "trainadmin.request")
    assert record.status == response.status_code != 200


def test_a_job_logs_its_name_args_duration_and_outcome(app, db, caplog):
    slot = factories.make_slot()
    session_id = slot.sequence.session_id
    with caplog.at_level(logging.INFO, logger="trainadmin.job"):
        enqueue(recompute_session_dates, session_id)
    [record] = _records(caplog, "trainadmin.job")
    assert record.job == "trainadmin.jobs.sessions.recompute_session_dates"
    assert record.job_args == [session_id]
    assert record.outcome == "ok" and record.duration_ms >= 0


def test_a_failing_job_logs_failed_and_still_raises(caplog):
    @logged_job
    def broken(n):
        raise ValueError("no")

    with caplog.at_level(logging.INFO, logger="trainadmin.job"), pytest.raises(ValueError):
        broken(7)
    [record] = _records(caplog, "trainadmin.job")
    assert record.outcome == "failed" and record.error == "ValueError" and record.job_args == [7]
    assert record.levelno == logging.WARNING


def test_a_sent_e_mail_logs_outbox_id_kind_session_and_recipient_domain(app, db, monkeypatch, caplog):
    session = factories.make_session(code="SESS-MAIL-1")
    message = factories.make_outbox_message(session, recipient="jeanne.martin@acme.fr", kind="convocation")
    with running_smtp_server() as server:
        use_smtp_server(app, monkeypatch, server.port)
        with caplog.at_level(logging.INFO, logger="trainadmin.email"):
            delivery.send_messages([message.id], commit)
    db.session.refresh(message)
    assert message.state == OutboxState.SENT
    [record] = _records(caplog, "trainadmin.email")
    assert record.outbox_id == message.id
    assert record.kind == "convocation"
    assert record.session_code == "SESS-MAIL-1"
    assert record.recipient_domain == "acme.fr"
    assert record.outcome == "sent"
    assert "jeanne.martin" not in logs.JsonFormatter().format(record)


def test_an_unreachable_smtp_server_logs_each_e_mail_not_sent(app, db, monkeypatch, caplog):
    message = factories.make_outbox_message(recipient="paul@example.org")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    use_smtp_server(app, monkeypatch, port)
    with caplog.at_level(logging.INFO, logger="trainadmin.email"):
        delivery.send_messages([message.id], commit)
    [record] = _records(caplog, "trainadmin.email")
    assert record.outbox_id == message.id
    assert record.outcome == "retrying" and record.recipient_domain == "example.org"
    assert "SMTP" in record.error
    assert record.levelno == logging.WARNING


def test_text_format_appends_the_fields():
    record = logging.makeLogRecord({"name": "trainadmin.request", "msg": "GET / 200", "levelname": "INFO"})
    record.status = 200
    record.path = "/"
    assert logs.TextFormatter().format(record).endswith("GET / 200 status=200 path=/")


def test_the_log_format_is_json_by_default_and_checked(tmp_path):
    base = {"SECRET_KEY": "x", "TESTING": True}
    assert load(tmp_path, base, environ={})["TRAINADMIN_LOG_FORMAT"] == "json"
    assert load(tmp_path, {**base, "TRAINADMIN_LOG_FORMAT": "TEXT"})["TRAINADMIN_LOG_FORMAT"] == "text"
    with pytest.raises(ConfigError, match="TRAINADMIN_LOG_FORMAT"):
        load(tmp_path, {**base, "TRAINADMIN_LOG_FORMAT": "xml"})


def test_recipient_domain_keeps_only_the_domain():
    assert logs.recipient_domain("A.B@Example.COM") == "example.com"
    assert logs.recipient_domain("nobody") is None
