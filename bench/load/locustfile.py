"""20 back-office users: the session list, a search, a session page, and editing then saving a
session with the `expected_version` its form carries. Saves target a few sessions shared by every
user, so concurrent saves collide: a refused save must show the conflict message (counted), an
accepted one is recorded (session, version it was based on, label) for the "no lost update" check.

Run by bench/load/run.sh:  locust -f bench/load/locustfile.py --headless -u 20 -r 5 -t 60s --host URL
Environment: LOAD_SESSIONS (JSON from prepare.py), LOAD_RESULTS (where to write the saves).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from html import unescape
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

SESSIONS = json.loads(os.environ["LOAD_SESSIONS"])
ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password"  # noqa: S105 (the bench database's throwaway account)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CONFLICT = ("Someone saved this session while you were editing it", "Quelqu'un a enregistré cette session")
SEARCHES = ("Excel", "Sécurité", "Management", "2026", "Lyon", "anglais", "SST")
SAVES: list[dict] = []
_counter = itertools.count(1)


class FormReader(HTMLParser):
    """The values a browser would post from the edit form (inputs, checked boxes, selects, textareas)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "y"
            else:
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value") or ""
            if "selected" in a:
                self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


class BackOfficeUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        page = self.client.get("/login", name="/login").text
        self.client.post(
            "/login",
            data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": _csrf(page)},
            name="/login",
        )

    @task(3)
    def session_list(self):
        self.client.get("/admin/sessions/", name="list")

    @task(2)
    def search(self):
        self.client.get("/admin/sessions/", params={"search": random.choice(SEARCHES)}, name="search")

    @task(3)
    def open_session(self):
        session_id = random.choice(SESSIONS["open"] + SESSIONS["hot"])
        self.client.get(f"/admin/sessions/details/?id={session_id}", name="open")

    @task(2)
    def edit_and_save(self):
        session_id = random.choice(SESSIONS["hot"])
        url = f"/admin/sessions/edit/?id={session_id}"
        page = self.client.get(url, name="edit (form)").text
        reader = FormReader()
        reader.feed(page)
        form = reader.values
        if "expected_version" not in form:
            return
        label = f"Charge {os.getpid()}-{next(_counter)}"
        form["label"] = label
        form.pop("_continue_editing", None)
        form.pop("_add_another", None)
        if "change_reason" in form:
            form["change_reason"] = "Test de charge"
        save = {
            "session": session_id,
            "base": int(form["expected_version"]),
            "label": label,
            "outcome": "sent",
        }
        SAVES.append(save)  # still "sent" at the end: no answer came before the test stopped
        with self.client.post(
            url, data=form, name="save", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code == 302:
                save["outcome"] = "accepted"
                answer.success()
            elif answer.status_code == 200 and any(text in unescape(answer.text) for text in CONFLICT):
                save["outcome"] = "refused"
                answer.success()  # refused and told: the expected answer to a conflict
            else:
                save["outcome"] = "error"
                answer.failure(f"save answered {answer.status_code} without the conflict message")


def _csrf(page: str) -> str:
    match = CSRF_RE.search(page)
    return match.group(1) or match.group(2)


@events.test_stop.add_listener
def _write_saves(environment, **kwargs):
    path = os.environ.get("LOAD_RESULTS")
    if path:
        with open(path, "w") as out:
            json.dump(SAVES, out)
