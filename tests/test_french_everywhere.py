"""French throughout: every page a French reader can reach, and every message flashed to them, is
French — no English msgid of our catalogue or of Flask-Admin's is left on screen.

The pages are found as a reader finds them: from the dashboard, following every link of every page
(each tab, list, form, filter and page size), as the administrator and as a read-only viewer, with the
demo data; plus the pages reached by a form (a refused save) and the error pages. The flashes are
checked one by one: each flash of the app's code must go through the catalogue, and each message
Flask-Admin can flash must have a French text.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_python
from flask_babel import force_locale

from trainadmin.demo import seed_demo
from trainadmin.models import Role, Training, User

from .conftest import csrf_token, login
from .french_scan import ADMIN_DIR, english_in, english_msgids, shown_texts

TODAY = date(2026, 11, 28)
PASSWORD = "demo-password-1"
ROOT = Path(__file__).resolve().parent.parent
HREF = re.compile(r"""href="([^"#]*)""")
# Files, not pages: downloads and exports are read by their own tests.
NOT_PAGES = ("/export/", "/download", "/logo", "/convocation/", "/sheet/", "/static/", "/logout", "/api/")
# Same page, other rows: sorting and paging are left out of a URL's shape, and values but a tab's.
SAME_PAGE = {"sort", "desc", "page", "page_size", "url"}
PER_SHAPE = 2  # pages visited per shape of URL
REPOSITORY_FILE = re.compile(r"(?<![/\w])docs/|\w\.md\b")


def _shape(url: str) -> tuple:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    return parts.path, tuple(sorted((k, v if k == "tab" else "") for k, v in query if k not in SAME_PAGE))


def _client(app, db, role: Role):
    user = db.session.scalar(sa.select(User).where(User.role == role).order_by(User.id).limit(1))
    user.locale = "fr"
    db.session.flush()
    client = app.test_client()
    assert login(client, user.email, PASSWORD).status_code == 302
    return client


def _crawl(client, start: str, limit: int = 400) -> dict[str, list[str]]:
    """Every page reachable from `start` by links: URL → the English texts found on it."""
    seen_shapes: dict[tuple, int] = {}
    queue, visited, found = [start], set(), {}
    while queue and len(visited) < limit:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        # English, or a file of the repository that a reader of the page cannot open.
        found[url] = english_in(html) + [text for text in shown_texts(html) if REPOSITORY_FILE.search(text)]
        for link in HREF.findall(html):
            link = link.replace("&amp;", "&")
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or link in visited:
                continue
            if any(part in parts.path for part in NOT_PAGES):
                continue
            shape = _shape(link)
            if seen_shapes.get(shape, 0) >= PER_SHAPE:
                continue
            seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
            queue.append(link)
    return found


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"  {url}: {texts}" for url, texts in sorted(found.items()) if texts)


@pytest.fixture
def demo(db):
    seed_demo(admin_password=PASSWORD, today=TODAY)
    db.session.flush()
    return db


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_every_page_a_french_reader_reaches_is_french(app, demo, role):
    client = _client(app, demo, role)
    found = _crawl(client, "/admin/")
    assert len(found) > 60, f"only {len(found)} pages reached: the crawl lost its way"
    assert not any(found.values()), "English on French pages:\n" + _report(found)


def test_filters_and_page_sizes_are_french(app, demo):
    """The filter chips and the page-size menu are drawn from the page's data by Flask-Admin's script."""
    client = _client(app, demo, Role.ADMIN)
    html = client.get("/admin/sessions/?flt0_publication_enumequal=DRAFT&page_size=50").get_data(as_text=True)
    assert "Brouillon" in shown_texts(html)  # the chip's options, in the filter data
    assert "50 lignes" in html, "the page-size menu speaks French"
    assert english_in(html) == []


def test_login_error_and_refused_pages_are_french(app, demo):
    anonymous = app.test_client()
    assert english_in(anonymous.get("/login").get_data(as_text=True)) == []
    refused = anonymous.post(
        "/login", data={"email": "nobody@example.com", "password": "x", "csrf_token": csrf_token(anonymous)}
    )
    assert english_in(refused.get_data(as_text=True)) == []

    viewer = _client(app, demo, Role.VIEWER)
    for url, status in [("/admin/nowhere/", 404), ("/admin/users/", 403), ("/admin/sessions/new/", 403)]:
        response = viewer.get(url)
        assert response.status_code == status, url
        assert english_in(response.get_data(as_text=True)) == [], url


def test_the_import_page_explains_the_file_format(app, demo):
    """The import page says what a file must hold, on the page (it cited a file of the repository)."""
    html = _client(app, demo, Role.ADMIN).get("/admin/imports/start/").get_data(as_text=True)
    texts = shown_texts(html)
    assert "Format des fichiers" in texts
    for column in ("reference", "training", "date", "start_time", "end_time"):
        assert f"<code>{column}</code>" in html
    assert not [text for text in texts if REPOSITORY_FILE.search(text)]


def test_a_refused_save_is_french(app, demo):
    """Flask-Admin's own form pages: a save it refuses flashes its message and shows the errors."""
    client = _client(app, demo, Role.ADMIN)
    training = demo.session.scalar(sa.select(Training).limit(1))
    url = f"/admin/trainings/edit/?id={training.id}"
    token = csrf_token(client, url)
    page = client.post(url, data={"csrf_token": token, "title": ""}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Rien n'a été enregistré : corrigez les champs signalés." in shown_texts(html)
    assert english_in(html) == []


def _flash_calls() -> list[tuple[Path, int, ast.expr]]:
    calls = []
    for path in sorted((ROOT / "trainadmin").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "flash" and node.args:
                calls.append((path, node.lineno, node.args[0]))
    return calls


TRANSLATING = {"gettext", "ngettext", "lazy_gettext", "_", "_l", "_gettext"}
# Functions that build a message from the catalogue (their own tests read it in French).
MESSAGE_BUILDERS = {"integrity_message", "import_problems"}


def _is_translated(node: ast.expr) -> bool:
    """A flash message built from the catalogue: a gettext call, a Markup or format of one, or a name
    (a message passed along: its origin is checked where it is made)."""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in TRANSLATING or name in MESSAGE_BUILDERS:
            return True
        if name in {"Markup", "str", "format"} and node.args:
            return _is_translated(node.args[0]) or (
                isinstance(func, ast.Attribute) and _is_translated(func.value)
            )
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return _is_translated(func.value)
        return False
    if isinstance(node, ast.IfExp):
        return _is_translated(node.body) and _is_translated(node.orelse)
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))


def test_every_flash_of_the_app_goes_through_the_catalogue():
    calls = _flash_calls()
    assert len(calls) > 20
    raw = [f"  {path.relative_to(ROOT)}:{line}" for path, line, node in calls if not _is_translated(node)]
    assert not raw, "flash() with a text that is not translated:\n" + "\n".join(raw)


def test_every_message_flask_admin_flashes_is_french(app):
    """Each msgid Flask-Admin can flash or show on a model page, translated as the app translates it."""
    import flask_admin.babel as admin_babel

    messages = set()
    for name in ("model/base.py", "contrib/sqla/view.py", "actions.py", "base.py"):
        with (ADMIN_DIR / name).open("rb") as fh:
            for _line, _func, message, _comments in extract_python(fh, ["gettext", "lazy_gettext"], [], {}):
                if isinstance(message, str) and message:
                    messages.add(message)
    assert "Failed to save record." in messages
    exact, pattern = english_msgids()
    english_words = {m for m in messages if (text := " ".join(m.split())) in exact or pattern.fullmatch(text)}
    with app.test_request_context("/admin/"), force_locale("fr"):
        english = sorted(m for m in english_words if str(admin_babel.gettext(m)) == m)
    assert not english, "Flask-Admin messages left in English:\n" + "\n".join(f"  {m!r}" for m in english)
