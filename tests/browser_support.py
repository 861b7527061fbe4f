"""A live server in a thread and Debian's Chromium for Playwright tests."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from playwright.sync_api import expect
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("TRAINADMIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Nothing leaves the machine: every host but loopback resolves to nothing.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _whole_bodies(app: Flask):
    """Each response read whole and its file closed before a byte is sent.

    The development server does not close a response's file when the browser drops the
    connection mid-download (a page left while its web font loads): the file would be closed
    later by the garbage collector, with a ResourceWarning in whichever test runs then.
    """

    def wsgi(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, _whole_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def leave_and_stay(page, link, timeout: float = 5000):
    """Click a link away from unsaved changes: the browser asks first, the user chooses to stay."""
    page.once("dialog", lambda dialog: dialog.dismiss())
    with page.expect_event("dialog", timeout=timeout) as asked:
        link.click()
    assert asked.value.type == "beforeunload"


def record_dialogs(page) -> list[str]:
    """Dialogs that should not appear: recorded (and dismissed) for an assertion afterwards."""
    seen: list[str] = []

    def dismiss(dialog):
        seen.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


def open_sequence(page, sequence_id: int):
    """« Cliquez sur la flèche à droite de la séquence pour l'ouvrir » (left open when it already is)."""
    body = page.locator(f"#sequence-body-{sequence_id}")
    if "show" not in (body.get_attribute("class") or "").split():
        page.locator(f"#sequence-{sequence_id} [data-open-sequence]").click()
    expect(body).to_have_class(re.compile(r"\bshow\b"))  # opening finished
    expect(body).to_be_visible()
    return body
