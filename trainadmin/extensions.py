"""Flask extensions, created unbound and bound in create_app() with init_app; Flask-Migrate bound
on first use (`migrations(app)`)."""

from pathlib import Path

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def migrations(app: Flask):
    """Flask-Migrate's configuration of `app` (its `app.extensions["migrate"]`), bound on first use:
    Flask-Migrate imports Alembic, 11 MiB that a web or worker process never needs; only the
    commands that change the schema (`flask db`, `init-db`, `demo`) and the tests load it."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    return app.extensions["migrate"]


def upgrade_schema(app: Flask) -> None:
    """The database schema brought to the newest migration (in an app context)."""
    from flask_migrate import upgrade

    upgrade(directory=migrations(app).directory)
