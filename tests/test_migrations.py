"""The migrations are the schema: one head, and the models match them on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from trainadmin.extensions import db


def test_one_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_migrations(any_app):
    """The test database was built by `upgrade()`; autogenerate must find nothing to add."""
    with any_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ, run `flask --app app db migrate`: {diff}"


def test_migrate_extension_is_bound(app):
    assert isinstance(app.extensions["migrate"].migrate, Migrate)
