"""Messages « in doubt »: a sender died (or its SMTP connection dropped) after handing a message to the
server and before its outcome was written. Before such a message is sent again, the SMTP server's
log is searched for its Message-ID (stable for every try of one outbox row), when TRAINADMIN_MAIL_LOG
names a log this process can read: Postfix writes `message-id=<…>` for every message it accepts, Exim
and OpenSMTPD the same id in their own words. Without a log the message goes again (at least once),
under the same Message-ID, which many mailboxes use to drop the copy."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

TAIL_BYTES = 32 * 1024 * 1024  # how far back in the log: hours of a busy relay


def accepted_message_ids(message_ids: Iterable[str]) -> set[str]:
    """Those of these Message-IDs that the SMTP server's log shows as received; none without a log."""
    wanted = set(message_ids)
    path = current_app.config.get("TRAINADMIN_MAIL_LOG")
    if not wanted or not path:
        return set()
    try:
        text = _tail(Path(path))
    except OSError as exc:
        log.warning("notifications: the mail server's log %s cannot be read: %s", path, exc)
        return set()
    return {message_id for message_id in wanted if message_id in text}


def _tail(path: Path) -> str:
    with path.open("rb") as file:
        size = file.seek(0, 2)
        file.seek(max(0, size - TAIL_BYTES))
        return file.read().decode("utf-8", "replace")
