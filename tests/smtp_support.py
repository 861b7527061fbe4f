"""A real SMTP server on loopback (aiosmtpd) that records what it accepts, and can be told to refuse
or to hold a message (so that a test can kill the sender while it waits for the answer), or to drop
the connection. With `log_path` it writes a line per message accepted, with its Message-ID, as
Postfix does in its mail.log."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller

from trainadmin.extensions import mail

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]  # the envelope: To and BCC recipients
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=default_policy)


class SmtpServer:
    """The aiosmtpd handler and what the tests ask of it."""

    def __init__(self):
        self.received: list[Received] = []
        self.connections = 0
        self.port = 0
        self._lock = threading.Lock()
        self._refusal: str | None = None
        self._refusals_left: int | None = None
        self._refused_recipients: dict[str, str] = {}
        self._hold_after: int | None = None
        self._hold_accepted = False
        self._drop_after: int | None = None
        self.log_path: Path | None = None
        self.holding = threading.Event()
        self._released = threading.Event()

    # --- What the tests ask ----------------------------------------------------------------------

    def refuse(self, reply: str = "451 4.3.0 Try again later", times: int | None = None) -> None:
        """Refuse every message (or the next `times` ones) at the end of DATA with this reply."""
        with self._lock:
            self._refusal, self._refusals_left = reply, times

    def accept(self) -> None:
        with self._lock:
            self._refusal, self._refusals_left = None, None
            self._refused_recipients.clear()

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 No such mailbox") -> None:
        with self._lock:
            self._refused_recipients[address.lower()] = reply

    def hold_after(self, count: int, accepted: bool = False) -> None:
        """Accept `count` messages, then keep the next one waiting for its answer until release();
        `accepted`: that one is received (and logged) first — the sender cannot know it."""
        with self._lock:
            self._hold_after, self._hold_accepted = count, accepted

    def drop_after(self, count: int) -> None:
        """Accept `count` messages, receive the next one, then drop the connection before answering."""
        with self._lock:
            self._drop_after = count

    def release(self) -> None:
        """Answer the held message (a refusal: it was never acknowledged) and hold no more."""
        with self._lock:
            self._hold_after = None
        self._released.set()

    def per_recipient(self) -> Counter:
        """How many messages each address received (envelope recipients, BCC included)."""
        return Counter(address.lower() for item in self.received for address in item.rcpt_tos)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} message(s) received, {count} expected")
            time.sleep(0.02)

    # --- aiosmtpd hooks ----------------------------------------------------------------------------

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            refusal = self._refused_recipients.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            refusal = self._refusal
            if refusal and self._refusals_left is not None:
                self._refusals_left -= 1
                if self._refusals_left <= 0:
                    self._refusal, self._refusals_left = None, None
            hold = self._hold_after is not None and len(self.received) >= self._hold_after
            drop = self._drop_after is not None and len(self.received) >= self._drop_after
            if drop:
                self._drop_after = None
        if refusal:
            return refusal
        if hold and not self._hold_accepted:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self._released.wait, 60)
            return "451 4.3.0 Not accepted"  # never acknowledged: not received
        self._receive(envelope)
        if drop:
            server.transport.close()
            return "421 4.4.2 Connection dropped"  # never reaches the sender
        if hold:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self._released.wait, 60)
        return "250 Message accepted for delivery"

    def _receive(self, envelope) -> None:
        item = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        with self._lock:
            self.received.append(item)
            if self.log_path is not None:
                with self.log_path.open("a") as log:
                    log.write(
                        f"{time.strftime('%b %d %H:%M:%S')} sink: message-id={item.message['Message-ID']}\n"
                    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def running_smtp_server():
    server = SmtpServer()
    server.port = free_port()
    controller = Controller(server, hostname=HOST, port=server.port, ready_timeout=10)
    controller.start()
    try:
        yield server
    finally:
        server.release()
        controller.stop()


def use_smtp_server(app, monkeypatch, port: int) -> None:
    """Point the app's Flask-Mail at this server for the test (the suite's config suppresses mail)."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", HOST)
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_SUPPRESS_SEND", False)
    monkeypatch.setitem(app.extensions, "mail", mail.init_mail(app.config))
