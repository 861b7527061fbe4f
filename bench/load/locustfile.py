"""20 back-office users: the session list, a search, a session page, and editing then saving a
session with the `expected_version` its form carries. Saves target a few sessions shared by every
user, so concurrent saves collide: a refused save must show the conflict message (counted), an
accepted one is recorded (session, version it was based on, label) for the "no lost update" check.

With LOAD_BOMB=1 (run.sh with BOMB=1), one more user (`BombUser`) saves a template bomb on every
e-mail rule of one session every 5 s: each save must be refused with the message next to the field,
and the figures of the others (written to LOAD_SUMMARY) are compared with a run without it.

Run by bench/load/run.sh:  locust -f bench/load/locustfile.py --headless -u 20 -r 5 -t 60s --host URL
Environment: LOAD_SESSIONS (JSON from prepare.py), LOAD_RESULTS (where to write the saves),
LOAD_SUMMARY (where to write the figures of the requests other than the bomb's).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from html import unescape
from html.parser import HTMLParser

from locust import HttpUser, between, constant, events, task

SESSIONS = json.loads(os.environ["LOAD_SESSIONS"])
ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password"  # noqa: S105 (the bench database's throwaway account)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CONFLICT = ("Someone saved this session while you were editing it", "Quelqu'un a enregistré cette session")
SEARCHES = ("Excel", "Sécurité", "Management", "2026", "Lyon", "anglais", "SST")
SAVES: list[dict] = []
#: Three nested loops of 9 million iterations each, and the same behind a test false for the sample.
LOOPS = "{% for a in session.code * 999 %}{% for b in session.code * 999 %}{% for c in session.code * 999 %}"
BOMBS = (
    LOOPS + "x{% endfor %}{% endfor %}{% endfor %}",
    "{% if session.code == 'ZZZ' %}" + LOOPS + "{% endfor %}{% endfor %}{% endfor %}{% endif %}",
)
REFUSED = ("Le modèle prend trop de temps", "The template takes too long")
BOMB_NAMES = ("bomb (tab)", "bomb (save)", "bomb (defaults)")
OTHERS: list[tuple[str, float, bool]] = []  # (name, milliseconds, failed) of every other request
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


class BombUser(HttpUser):
    """Saves a template bomb on every e-mail rule of one session, every 5 s."""

    fixed_count = 1
    wait_time = constant(5)
    on_start = BackOfficeUser.on_start

    @task
    def save_bomb(self):
        session_id = SESSIONS["open"][-1]
        tab = f"/admin/sessions/details/?id={session_id}&tab=emails"
        page = self.client.get(tab, name="bomb (tab)").text
        reader = FormReader()
        reader.feed(page)
        form = {key: value for key, value in reader.values.items() if key.startswith("rule-")}
        if not form:  # a seeded session without e-mail rules: the default ones first
            defaults = f"/admin/sessions/emails/defaults/?id={session_id}"
            self.client.post(defaults, data={"csrf_token": _csrf(page)}, name="bomb (defaults)")
            return
        for key in form:
            if key.endswith("-body"):
                form[key] = BOMBS[next(_counter) % len(BOMBS)]
        form["csrf_token"] = _csrf(page)
        url = f"/admin/sessions/emails/rules/?id={session_id}"
        with self.client.post(url, data=form, name="bomb (save)", catch_response=True) as answer:
            if answer.status_code == 200 and any(text in unescape(answer.text) for text in REFUSED):
                answer.success()
            else:
                answer.failure(f"bomb answered {answer.status_code} without the message")


@events.request.add_listener
def _record_others(name, response_time, exception, **kwargs):
    if name not in BOMB_NAMES:
        OTHERS.append((name, response_time, exception is not None))


@events.test_stop.add_listener
def _write_summary(environment, **kwargs):
    path = os.environ.get("LOAD_SUMMARY")
    if not path:
        return

    def percentile(times: list[float], share: float) -> float:
        return round(times[min(len(times) - 1, int(share * len(times)))]) if times else 0

    times = sorted(ms for _, ms, _ in OTHERS)
    browsing = sorted(ms for name, ms, _ in OTHERS if name != "/login")  # the logins hash with scrypt
    summary = {
        "requests": len(times),
        "failures": sum(failed for _, _, failed in OTHERS),
        "p50_ms": percentile(times, 0.50),
        "p95_ms": percentile(times, 0.95),
        "max_ms": round(times[-1]) if times else 0,
        "without_logins": {"p50_ms": percentile(browsing, 0.50), "p95_ms": percentile(browsing, 0.95)},
    }
    with open(path, "w") as out:
        json.dump(summary, out)


def _csrf(page: str) -> str:
    match = CSRF_RE.search(page)
    return match.group(1) or match.group(2)


@events.test_stop.add_listener
def _write_saves(environment, **kwargs):
    path = os.environ.get("LOAD_RESULTS")
    if path:
        with open(path, "w") as out:
            json.dump(SAVES, out)
