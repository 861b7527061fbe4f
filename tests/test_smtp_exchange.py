"""The SMTP exchange of one message (`mail_message.deliver`) against a real server on loopback: the
commands, answers and errors of `smtplib.SMTP.sendmail`, the connection left ready for the next
message after a refusal."""

from __future__ import annotations

import smtplib

import pytest

from trainadmin.extensions import mail
from trainadmin.services.notifications.mail_message import deliver


@pytest.fixture(autouse=True)
def _in_app(app):
    with app.app_context():
        yield


MESSAGE = b"From: formation@example.com\r\nTo: a@example.com\r\nSubject: Test\r\n\r\nBonjour\r\n.Point\r\n"


def refuse_sender(smtp, monkeypatch, reply: str) -> None:
    """The next MAIL FROM gets this reply; the ones after it are accepted."""
    replies = [reply]

    async def handle_MAIL(server, session, envelope, address, mail_options):
        if replies:
            return replies.pop()
        envelope.mail_from = address
        return "250 OK"

    monkeypatch.setattr(smtp, "handle_MAIL", handle_MAIL, raising=False)


def test_a_message_reaches_each_recipient_once_with_its_content_as_sent(app, smtp):
    with mail.connect() as connection:
        deliver(connection, MESSAGE, "formation@example.com", ["a@example.com", "rh@example.com"])

    (received,) = smtp.received
    assert received.mail_from == "formation@example.com"
    assert received.rcpt_tos == ["a@example.com", "rh@example.com"]
    assert received.data.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")  # the dot came back


def test_a_refused_copy_leaves_the_others_delivered(app, smtp):
    smtp.refuse_recipient("rh@example.com")

    with mail.connect() as connection:
        deliver(connection, MESSAGE, "formation@example.com", ["a@example.com", "rh@example.com"])

    assert [item.rcpt_tos for item in smtp.received] == [["a@example.com"]]


def test_every_recipient_refused_is_an_error_and_the_connection_serves_the_next_message(app, smtp):
    smtp.refuse_recipient("a@example.com", "550 5.1.1 No such mailbox")

    with mail.connect() as connection:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            deliver(connection, MESSAGE, "formation@example.com", ["a@example.com"])
        deliver(connection, MESSAGE, "formation@example.com", ["b@example.com"])

    assert refused.value.recipients == {"a@example.com": (550, b"5.1.1 No such mailbox")}
    assert [item.rcpt_tos for item in smtp.received] == [["b@example.com"]]
    assert smtp.connections == 1


def test_a_refused_sender_is_an_error_and_the_connection_serves_the_next_message(app, smtp, monkeypatch):
    refuse_sender(smtp, monkeypatch, "553 5.7.1 Sender not allowed")

    with mail.connect() as connection:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            deliver(connection, MESSAGE, "formation@example.com", ["a@example.com"])
        deliver(connection, MESSAGE, "formation@example.com", ["b@example.com"])

    assert (refused.value.smtp_code, refused.value.sender) == (553, "formation@example.com")
    assert [item.rcpt_tos for item in smtp.received] == [["b@example.com"]]


def test_a_refused_content_is_an_error_with_the_server_reply(app, smtp):
    smtp.refuse("451 4.3.0 Try again later", times=1)

    with mail.connect() as connection:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            deliver(connection, MESSAGE, "formation@example.com", ["a@example.com"])
        deliver(connection, MESSAGE, "formation@example.com", ["b@example.com"])

    assert refused.value.smtp_code == 451
    assert [item.rcpt_tos for item in smtp.received] == [["b@example.com"]]


def test_a_server_closing_at_the_sender_closes_the_connection(app, smtp, monkeypatch):
    refuse_sender(smtp, monkeypatch, "421 4.3.2 Shutting down")

    connection = mail.connect().__enter__()
    with pytest.raises(smtplib.SMTPSenderRefused):
        deliver(connection, MESSAGE, "formation@example.com", ["a@example.com"])

    assert connection.host.sock is None  # closed here too: the caller opens a new one
    assert smtp.received == []
