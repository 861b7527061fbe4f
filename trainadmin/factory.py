"""create_app(): one app per call, with its extensions, admin, API, probes and commands."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from . import config as config_module
from .driver_sql import ping_on_checkout
from .extensions import babel, csrf, db, login_manager, mail

ROOT = Path(__file__).resolve().parent.parent


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@sa.event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    """SQLite ignores foreign keys unless asked on each connection; WAL lets readers and a writer
    work at once (web threads, the demo's job loop); and SQLAlchemy, not the sqlite3 module,
    decides when transactions begin, so SAVEPOINTs behave."""
    if _is_sqlite(dbapi_connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@sa.event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.update(config_module.load(Path(app.instance_path), overrides))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from . import errors, form_tokens, i18n, logs, security, transaction
    from .auth import auth_bp, load_user
    from .links import links_bp
    from .services import documents

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_on_checkout(engine)  # the pool's pre-ping, left out for a request's first statement
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=i18n.select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.lazy_gettext("Please log in to access this page.")
    login_manager.login_message_category = "warning"

    i18n.init_app(app)
    logs.init_app(app)
    errors.init_app(app)
    transaction.init_app(app)
    documents.install()
    app.register_blueprint(auth_bp)
    app.register_blueprint(links_bp)
    security.init_app(app)
    form_tokens.init_app(app)  # after the login and idle checks: a claim needs the user
    from .api import api_bp

    app.register_blueprint(csrf.exempt(api_bp))  # GET-only JSON, authenticated by X-API-Key
    from .health import health_bp

    app.register_blueprint(csrf.exempt(health_bp))  # GET-only probes, no login

    from .admin_views import init_admin
    from .cli import register_cli

    init_admin(app)
    register_cli(app)

    @app.get("/")
    def root():
        from flask import redirect, url_for

        return redirect(url_for("admin.index"))

    return app
