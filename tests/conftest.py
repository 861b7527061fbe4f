"""Fixtures: apps on SQLite and PostgreSQL, a database rolled back per test, clients per role.

Services the tests need come from the environment:
- TRAINADMIN_TEST_DATABASE_URL: PostgreSQL for the main suite (else SQLite in a temporary file);
- REDIS_URL (or TRAINADMIN_TEST_REDIS_URL): a Redis server for the job tests;
- TRAINADMIN_STRICT=1: a test whose service is missing FAILS instead of being skipped.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from hypothesis import settings as hypothesis_settings

from trainadmin import create_app
from trainadmin.extensions import db as _db
from trainadmin.extensions import upgrade_schema
from trainadmin.models import Role

from . import factories

STRICT = os.environ.get("TRAINADMIN_STRICT") == "1"
PG_URL = os.environ.get("TRAINADMIN_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TRAINADMIN_TEST_REDIS_URL") or os.environ.get("REDIS_URL", "")
PASSWORD = "correct-horse-battery"

# Property-based tests: `ci` (the default) draws the same examples on every run; `explore` draws new
# random ones and more of them (HYPOTHESIS_PROFILE=explore).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=300)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def need(service: str, reason: str):
    """Skip when a service is missing, or fail under TRAINADMIN_STRICT=1."""
    message = f"{service} unavailable: {reason}"
    if STRICT:
        pytest.fail(message + " (TRAINADMIN_STRICT=1)")
    pytest.skip(message)


class IsolatedClient(FlaskClient):
    """Each request runs in a clean context (its own app context, `g` and session), as in
    production, even though the test itself holds an app context open; afterwards the test's
    own objects are expired so they show what the request saved."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # streamed bodies (exports) run inside that context too
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response


def _test_config(database_url: str, storage: str) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "TRAINADMIN_STORAGE": storage,  # never the instance folder; tests that look at files use `storage`
        "TRAINADMIN_IMPORT_DIR": os.path.join(storage, "imports"),  # tests with feeds use `import_folder`
        "REDIS_URL": "",
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": True,
        "FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION": True,
        "MAIL_SUPPRESS_SEND": True,
        "SERVER_NAME": None,
        # Fast hashes keep the suite quick; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def _reset_schema(app: Flask) -> None:
    """Empty database, then the real migrations: the suite always runs on the migrated schema."""
    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
        upgrade_schema(app)


def make_app(backend: str, tmp_path_factory) -> Flask:
    storage = str(tmp_path_factory.mktemp("files"))
    if backend == "postgresql":
        if not PG_URL:
            need("PostgreSQL", "set TRAINADMIN_TEST_DATABASE_URL")
        url = PG_URL
        app = create_app(_test_config(url, storage))
        try:
            with app.app_context():
                _db.session.execute(sa.text("SELECT 1"))
                _db.session.remove()
        except sa.exc.OperationalError as exc:
            need("PostgreSQL", str(exc.orig).strip().splitlines()[0])
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        app = create_app(_test_config(url, storage))
    app.test_client_class = IsolatedClient
    _reset_schema(app)
    return app


_apps: dict[str, Flask] = {}


def backend_app(backend: str, tmp_path_factory) -> Flask:
    if backend not in _apps:
        _apps[backend] = make_app(backend, tmp_path_factory)
    return _apps[backend]


@pytest.fixture(scope="session")
def main_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture
def app(main_backend, tmp_path_factory) -> Flask:
    """The app on the main test database (PostgreSQL when configured)."""
    return backend_app(main_backend, tmp_path_factory)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, tmp_path_factory) -> Flask:
    """The same test on SQLite and on PostgreSQL."""
    return backend_app(request.param, tmp_path_factory)


class ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy picks an engine per model and ignores `bind`: for tests, use the
    connection that holds the outer transaction."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind if self.bind is not None else super().get_bind(mapper, clause, bind, **kwargs)


@contextmanager
def rolled_back(app: Flask) -> Iterator:
    """Everything the test and its requests commit is rolled back at the end."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": ConnectionBoundSession,
            }
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def db(app):
    with rolled_back(app) as database:
        yield database


@pytest.fixture
def any_db(any_app):
    with rolled_back(any_app) as database:
        yield database


def truncate_all(app: Flask) -> None:
    with app.app_context():
        tables = list(reversed(_db.metadata.sorted_tables))
        with _db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                for table in tables:
                    connection.execute(table.delete())
        _db.session.remove()


@pytest.fixture
def committed_db(app):
    """For tests with other threads or processes (browser, workers, concurrency): real commits,
    and every table emptied afterwards."""
    truncate_all(app)
    with app.app_context():
        yield _db
        _db.session.remove()
    truncate_all(app)


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    """A storage directory of the test's own for uploaded files (the app's config points to it)."""
    monkeypatch.setitem(app.config, "TRAINADMIN_STORAGE", str(tmp_path / "files"))
    return tmp_path / "files"


@pytest.fixture
def import_folder(request, tmp_path, monkeypatch):
    """The test's own folder as the import folder (TRAINADMIN_IMPORT_DIR) of the app(s) it uses."""
    for name in ("app", "any_app"):
        if name in request.fixturenames:
            monkeypatch.setitem(request.getfixturevalue(name).config, "TRAINADMIN_IMPORT_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def client(app, db):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, path: str = "/login") -> str:
    response = client.get(path, follow_redirects=True)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def users(db) -> dict[Role, object]:
    return {role: factories.make_user(role=role, password=PASSWORD) for role in Role}


@pytest.fixture
def login_as(app, users):
    """login_as(Role.MANAGER) -> a test client logged in with that role; `locale="en"` makes the
    user read English (the messages are then the msgids, whatever the catalogue says)."""

    def _login(role: Role, locale: str | None = None):
        if locale is not None:
            users[Role(role)].locale = locale
            _db.session.flush()
        test_client = app.test_client()
        response = login(test_client, users[Role(role)].email)
        assert response.status_code == 302, response.get_data(as_text=True)
        test_client.csrf = csrf_token(test_client, "/admin/")
        return test_client

    return _login


# The roles' clients, defined once for every test module.


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def ops_manager(login_as):
    return login_as(Role.OPS_MANAGER)


@pytest.fixture
def manager(login_as):
    return login_as(Role.MANAGER)


@pytest.fixture
def viewer(login_as):
    return login_as(Role.VIEWER)


@pytest.fixture
def manager_en(login_as):
    """A Gestionnaire formation reading English."""
    return login_as(Role.MANAGER, locale="en")


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ...; counter.count is the number of SQL statements."""

    @contextmanager
    def _count():
        counter = QueryCounter()
        with app.app_context():
            engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return _count


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        need("Redis", "set REDIS_URL")
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisError as exc:
        need("Redis", str(exc))
    return REDIS_URL


FORM_GROUP_RE = re.compile(r'<div class="form-group[^"]*">(.*?)(?=<div class="form-group|</form>)', re.S)


def field_errors(html: str, field_id: str) -> list[str]:
    """The messages shown under one form field (Flask-Admin's Bootstrap 4 layout)."""
    for block in FORM_GROUP_RE.findall(html):
        if f'id="{field_id}"' in block:
            feedback = re.search(r'<div class="invalid-feedback">(.*?)</div>', block, re.S)
            if not feedback:
                return []
            return [
                unescape(re.sub(r"\s+", " ", m).strip())
                for m in re.findall(r"<li>(.*?)</li>", feedback.group(1), re.S)
            ]
    raise AssertionError(f"no field {field_id} in the page")


def flashed_errors(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", m).replace("×", "").strip()
        for m in re.findall(r'<div class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', html, re.S)
    ]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    from playwright.sync_api import expect

    from .browser_support import CHROMIUM, CHROMIUM_ARGS

    # Two cores shared by the server, the browser and the database: give assertions room to settle.
    expect.set_options(timeout=10_000)

    if not os.path.exists(CHROMIUM):
        need("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def live_url(app, committed_db):
    """The app served on a loopback port, on a committed database emptied afterwards."""
    from .browser_support import live_server

    app.config["WTF_CSRF_SSL_STRICT"] = False
    public = app.config["TRAINADMIN_PUBLIC_URL"]
    with live_server(app) as url:
        app.config["TRAINADMIN_PUBLIC_URL"] = url  # the links sent by e-mail lead to this server
        try:
            yield url
        finally:
            app.config["TRAINADMIN_PUBLIC_URL"] = public


@pytest.fixture
def browser_login(page, live_url):
    """browser_login(user) -> the Playwright page, logged in through the real login form."""

    def _login(user, password: str = PASSWORD):
        page.goto(f"{live_url}/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_url}/admin/")
        return page

    return _login


def post_form(client, url: str, data: dict):
    """POST a form as the browser does, with the client's CSRF token."""
    return client.post(url, data={"csrf_token": client.csrf, **data})


def history_lines(session_id: int, locale: str = "fr") -> list[str]:
    """The session's history as the « Historique » tab writes it, newest first, one line per entry:
    « Action — what : Label : before → after ; … [reason] »."""
    from flask import current_app
    from flask_babel import force_locale

    from trainadmin.admin_views.session_page.history import history_rows

    _db.session.flush()
    with current_app.test_request_context(), force_locale(locale):
        rows = history_rows(session_id, 1)["rows"]
    lines = []
    for row in rows:
        line = row.action + (f" — {row.target}" if row.target else "")
        if row.changes:
            line += " : " + " ; ".join(row.changes)
        if row.reason:
            line += f" [{row.reason}]"
        lines.append(line)
    return lines


def count_rows(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def redis_queue(app, redis_url, monkeypatch):
    """The app on the test Redis, with the jobs' queue; its db starts and ends empty (queues and
    registries)."""
    from redis import Redis
    from rq import Queue

    from trainadmin.queue import QUEUE_NAME

    connection = Redis.from_url(redis_url)
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    app.extensions.pop("trainadmin_redis", None)
    yield Queue(QUEUE_NAME, connection=connection)
    connection.flushdb()
    app.extensions.pop("trainadmin_redis", None)


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on loopback that records what it receives; the app sends to it."""
    from .smtp_support import running_smtp_server, use_smtp_server

    with running_smtp_server() as server:
        use_smtp_server(app, monkeypatch, server.port)
        yield server


@pytest.fixture(autouse=True)
def _fresh_login_limits(request):
    """Each test starts with no counted login attempt (the apps live for the whole run)."""
    for name in ("app", "any_app"):
        if name in request.fixturenames:
            request.getfixturevalue(name).extensions["trainadmin_limiter"].reset()


def pytest_terminal_summary(terminalreporter):
    """The hostile-input figures: inputs tried and refused cleanly, per form."""
    from .hostile_support import STATS

    if STATS:
        terminalreporter.section("hostile input")
        for name, counter in sorted(STATS.items()):
            terminalreporter.write_line(
                f"{name:28} tried {counter['tried']:5}  refused {counter['refused']:5}"
            )
