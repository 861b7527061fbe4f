"""The migrations are the schema: one head, and the models match them on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from trainadmin.extensions import db, migrations
from trainadmin.models.types import schema_filter


def test_one_head(app):
    with app.app_context():
        config = migrations(app).migrate.get_config(migrations(app).directory)
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_migrations(any_app):
    """The test database was built by `upgrade()`; autogenerate must find nothing to add."""
    with any_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": schema_filter(connection.dialect.name)},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ, run `flask --app app db migrate`: {diff}"


def test_migrate_extension_is_bound_on_first_use(app):
    assert isinstance(migrations(app).migrate, Migrate)


def test_a_web_process_does_not_load_alembic():
    """Flask-Migrate (and Alembic, Mako, Pygments under it: 11 MiB) is loaded only by the commands
    that change the schema; PDF and spreadsheet libraries only when a file is made."""
    import subprocess
    import sys

    code = (
        "import sys; from trainadmin import create_app; "
        "create_app({'DATABASE_URL': 'sqlite://', 'SECRET_KEY': 'x', 'REDIS_URL': ''}); "
        "heavy = {'alembic', 'flask_migrate', 'fpdf', 'openpyxl', 'icalendar'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert loaded.stdout.strip() == "[]"


def test_postgresql_has_the_trigram_search_indexes(any_app):
    with any_app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            names = {row[1] for row in connection.exec_driver_sql("PRAGMA index_list('training_session')")}
            assert "ix_training_session_label_trgm" not in names
            return
        names = set(
            connection.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'training_session'"
            ).scalars()
        )
    assert {
        "ix_training_session_label_trgm",
        "ix_training_session_label_search_trgm",
        "ix_training_session_code_trgm",
    } <= names
