"""The MIME message of one outbox row, built with the standard library (`EmailMessage`,
`policy.SMTP`), and its hand-over to the SMTP connection.

- Headers: From = MAIL_DEFAULT_SENDER (its name, then its address), To = the recipient, BCC in the
  envelope only, the subject as typed (`mail_headers`: RFC 2047 words of at most 75 characters,
  lines of at most 78), Date, a Message-ID stable for every try of one row.
- Everything is 7-bit — text parts in quoted-printable, calendars and files in base64 — so no
  server has to offer 8BITMIME, and long French lines come back unchanged.
- An ordinary e-mail is one `text/plain` part (`multipart/mixed` with its files). An invitation is
  what Gmail, Apple Mail and Outlook send and read: `multipart/mixed` › `multipart/alternative`
  (`text/plain`, `text/html`, `text/calendar; method=REQUEST|CANCEL`) + the same calendar as an
  `invite.ics` attachment.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from email import quoprimime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from flask import current_app
from flask_babel import force_locale, gettext

from ...models import Document
from .. import documents
from .invitation_html import invitation_html
from .mail_headers import mailbox, one_line, sender_parts, unstructured

METHOD_RE = re.compile(r"^METHOD:([A-Za-z-]+)\s*$", re.M)
ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")
INVITE_FILE = "invite.ics"
MBOX_FROM = re.compile(r"^From ", re.M)


class MessageError(ValueError):
    """This message cannot be built (a missing attachment, an address that cannot be written)."""


def addresses(text: str | None) -> list[str]:
    return [address for address in ADDRESS_SEPARATORS.split(text or "") if address]


def calendar_method(ics: str) -> str:
    match = METHOD_RE.search(ics)
    return match.group(1).upper() if match else "REQUEST"


def message_id(row, sender: str) -> str:
    """The same for every try of one outbox row: a copy sent again after a crash can be recognised."""
    domain = sender_parts(sender)[1].rpartition("@")[2] or "trainadmin.local"
    try:  # a header carries ASCII only: an internationalised domain in its IDNA form
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "trainadmin.local"
    digest = hashlib.sha256(row.dedup_key.encode()).hexdigest()[:16]
    return f"<trainadmin.{row.id}.{digest}@{domain}>"


def envelope(row, sender) -> tuple[str, list[str]]:
    """MAIL FROM and RCPT TO: the sender's address; the recipient then the BCC, each once."""
    recipients = {}
    for address in (row.recipient, *addresses(row.bcc)):
        ascii_address = _ascii_address(address)
        recipients.setdefault(ascii_address.lower(), ascii_address)
    return _ascii_address(sender_parts(sender)[1]), list(recipients.values())


def build_message(row, sender, attached: dict[int, Document]) -> EmailMessage:
    """The message of one outbox row (`sending.OutgoingMessage`); `attached` holds its documents."""
    name, address = sender_parts(sender)
    message = EmailMessage(policy=SMTP)
    message.set_raw("From", mailbox("From", one_line(name), _ascii_address(address)))
    message.set_raw("To", _ascii_address(row.recipient))
    message.set_raw("Subject", unstructured("Subject", one_line(row.subject or "")))
    message.set_raw("Date", format_datetime(datetime.now(UTC).replace(microsecond=0)))
    message.set_raw("Message-ID", message_id(row, sender))
    body = (row.body or "").replace("\r\n", "\n").replace("\r", "\n")
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    if row.calendar:
        _add_invitation(message, row.subject or "", body, row.calendar)
    for document_id in row.attachment_ids or []:
        document = attached.get(int(document_id))
        data = _document_bytes(document, document_id)
        maintype, subtype = _content_type(document)
        message.add_attachment(data, maintype, subtype, filename=document.original_name)
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # once, at the top
        if part.get("Content-Transfer-Encoding") == "quoted-printable":
            # A line starting with « From » gets a « > » in mbox mailboxes: its F is written encoded.
            part.set_payload(MBOX_FROM.sub("=46rom ", part.get_payload()))
    return message


def message_bytes(row, sender, attached: dict[int, Document]) -> bytes:
    """The bytes that go over SMTP. An ordinary e-mail (one text part, no file, no invitation) is
    written straight from its headers and its quoted-printable body: the very bytes of
    `build_message(...).as_bytes()` (tests/test_mail_messages.py compares them) for a fifth of the
    time — the standard library's header objects are most of the cost. The others are built by
    `build_message`."""
    if row.calendar or row.attachment_ids:
        return build_message(row, sender, attached).as_bytes()
    name, address = sender_parts(sender)
    headers = (
        ("From", mailbox("From", one_line(name), _ascii_address(address))),
        ("To", _ascii_address(row.recipient)),
        ("Subject", unstructured("Subject", one_line(row.subject or ""))),
        ("Date", format_datetime(datetime.now(UTC).replace(microsecond=0))),
        ("Message-ID", message_id(row, sender)),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
        ("MIME-Version", "1.0"),
    )
    body = (row.body or "").replace("\r\n", "\n").replace("\r", "\n")
    # As `EmailMessage.set_content(body, cte="quoted-printable")` encodes it, with policy.SMTP.
    lines = body.encode("utf-8").splitlines()
    encoded = quoprimime.body_encode((b"\n".join(lines) + b"\n").decode("latin-1"), SMTP.max_line_length)
    encoded = MBOX_FROM.sub("=46rom ", encoded)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (head + "\r\n" + encoded.replace("\n", "\r\n")).encode("ascii")


def deliver(connection, message: EmailMessage | bytes, sender: str, recipients: list[str]) -> None:
    """Hand the message to the connection's SMTP server (nothing when sending is suppressed): the
    commands, answers and errors of `smtplib.SMTP.sendmail`, whose only difference is that it
    parses every address again (`email.utils.parseaddr`, a twentieth of the sender's time a
    message); these come from `envelope`, plain ASCII without line breaks. A recipient refused
    while another is accepted is left out, as `sendmail` does."""
    host = connection.host
    if host is None:
        return
    data = message if isinstance(message, bytes) else message.as_bytes()
    host.ehlo_or_helo_if_needed()
    size = f" size={len(data)}" if host.does_esmtp and host.has_extn("size") else ""
    code, reply = host.docmd("mail", f"from:<{sender}>{size}")
    if code != 250:
        _abandon(host, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for recipient in recipients:
        code, reply = host.docmd("rcpt", f"to:<{recipient}>")
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            host.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _abandon(host, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = host.data(data)
    if code != 250:
        _abandon(host, code)
        raise smtplib.SMTPDataError(code, reply)


def _abandon(host: smtplib.SMTP, code: int) -> None:
    """After a refusal: the server closing (421) is closed here too; otherwise the transaction is
    reset so the connection serves the next message."""
    if code == 421:
        host.close()
        return
    with suppress(smtplib.SMTPServerDisconnected):  # gone already: the caller's error says so
        host.rset()


@contextmanager
def data_after(connection, wait: Callable[[], None]) -> Iterator[None]:
    """While open, each message's content (SMTP DATA, after its envelope was accepted) is handed
    over only once `wait()` has returned: what must be done before the next message is sent — the
    previous one's outcome written — is done while its envelope goes. Should `wait` raise, the
    message is not sent and the server forgets its envelope when the connection ends."""
    host = connection.host
    if host is None:
        yield
        return

    def data(content):
        wait()
        return type(host).data(host, content)

    host.data = data
    try:
        yield
    finally:
        del host.data


def _add_invitation(message: EmailMessage, subject: str, body: str, calendar: str) -> None:
    method = calendar_method(calendar)
    data = calendar.encode("utf-8")
    html = invitation_html(one_line(subject), body, calendar)
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message.add_alternative(
        data, "text", "calendar", cte="base64", params={"method": method, "charset": "UTF-8"}
    )
    message.add_attachment(
        data, "application", "ics", cte="base64", filename=INVITE_FILE, params={"name": INVITE_FILE}
    )


def _content_type(document: Document) -> tuple[str, str]:
    maintype, _, subtype = (document.content_type or "").strip().partition("/")
    if not maintype or not subtype or maintype == "multipart":
        return "application", "octet-stream"
    return maintype, subtype


def _document_bytes(document: Document | None, document_id) -> bytes:
    try:
        data = documents.document_path(document).read_bytes() if document else None
    except (OSError, ValueError):
        data = None
    if data is None:
        name = document.original_name if document else f"#{document_id}"
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            raise MessageError(gettext("Attachment not found: %(name)s", name=name))
    return data


def _ascii_address(address: str) -> str:
    """The address as SMTP and headers take it: the domain in its ASCII (IDNA) form; refused with a
    message when it holds a line break or a local part that is not ASCII."""
    local, _, domain = (address or "").strip().rpartition("@")
    try:
        if not local or any(c in address for c in "\r\n") or not local.isascii():
            raise UnicodeError
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            raise MessageError(
                gettext("The address « %(address)s » cannot be used in an e-mail.", address=address)
            ) from None
    return f"{local}@{domain}"
