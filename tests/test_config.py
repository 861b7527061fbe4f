"""Configuration from the environment, checked before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainadmin.config import ConfigError, load

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_the_embedded_demo(tmp_path):
    config = load(tmp_path, environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'trainadmin.db'}"
    assert config["REDIS_URL"] == ""
    assert config["BABEL_DEFAULT_LOCALE"] == "fr"
    assert config["TRAINADMIN_TZ"] == "Europe/Paris"
    assert config["TRAINADMIN_HOLIDAYS"] == "FR"
    assert config["TRAINADMIN_STORAGE"] == str(tmp_path / "files")
    assert config["TRAINADMIN_MAX_UPLOAD_MB"] == 10
    assert config["TRAINADMIN_TRUSTED_PROXIES"] == 0, "X-Forwarded-For is ignored unless a proxy is declared"
    assert config["TRAINADMIN_IMPORT_DIR"] == str(tmp_path / "imports")
    # the request may be a little larger than the file: the other fields and the multipart envelope
    assert 10 * 1024 * 1024 < config["MAX_CONTENT_LENGTH"] <= 12 * 1024 * 1024
    # the embedded database keeps a generated key next to it, the same at every start
    assert config["SECRET_KEY"] == load(tmp_path, environ={})["SECRET_KEY"]


def test_upload_limit_from_the_environment(tmp_path):
    config = load(tmp_path, environ={"TRAINADMIN_MAX_UPLOAD_MB": "25"})
    assert config["TRAINADMIN_MAX_UPLOAD_MB"] == 25
    assert config["MAX_CONTENT_LENGTH"] == 26 * 1024 * 1024


def test_mail_attempts_from_the_environment(tmp_path):
    assert load(tmp_path, environ={})["TRAINADMIN_MAIL_MAX_ATTEMPTS"] == 5
    assert load(tmp_path, environ={"TRAINADMIN_MAIL_MAX_ATTEMPTS": "8"})["TRAINADMIN_MAIL_MAX_ATTEMPTS"] == 8


def test_smtp_connections_per_send_job_from_the_environment(tmp_path):
    assert load(tmp_path, environ={})["TRAINADMIN_MAIL_CONNECTIONS"] == 2
    assert load(tmp_path, environ={"TRAINADMIN_MAIL_CONNECTIONS": "1"})["TRAINADMIN_MAIL_CONNECTIONS"] == 1


def test_trusted_proxies_and_import_folder_from_the_environment(tmp_path):
    config = load(
        tmp_path, environ={"TRAINADMIN_TRUSTED_PROXIES": "1", "TRAINADMIN_IMPORT_DIR": "/srv/feeds"}
    )
    assert config["TRAINADMIN_TRUSTED_PROXIES"] == 1
    assert config["TRAINADMIN_IMPORT_DIR"] == "/srv/feeds"


def test_postgres_url_uses_psycopg(tmp_path):
    config = load(tmp_path, environ={"DATABASE_URL": "postgresql://u@db/x", "SECRET_KEY": "k"})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"DATABASE_URL": "postgresql://u@db/x"}, "SECRET_KEY is not set"),
        ({"DATABASE_URL": "not a url", "SECRET_KEY": "k"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": "mysql://u@db/x", "SECRET_KEY": "k"}, "DATABASE_URL must be sqlite or postgresql"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with"),
        ({"TRAINADMIN_TZ": "Mars/Olympus"}, "TRAINADMIN_TZ is not a known time zone"),
        ({"TRAINADMIN_HOLIDAYS": "Gaule"}, "TRAINADMIN_HOLIDAYS: unknown country 'Gaule'"),
        ({"TRAINADMIN_HOLIDAYS": "FR-99"}, "TRAINADMIN_HOLIDAYS: unknown region '99' of FR"),
        ({"BABEL_DEFAULT_LOCALE": "de"}, "BABEL_DEFAULT_LOCALE must be one of fr, en"),
        ({"MAIL_PORT": "twenty-five"}, "MAIL_PORT must be a whole number"),
        ({"MAIL_USE_TLS": "perhaps"}, "MAIL_USE_TLS must be true or false"),
        ({"MAIL_USE_TLS": "1", "MAIL_USE_SSL": "1"}, "cannot both be on"),
        ({"TRAINADMIN_MAX_UPLOAD_MB": "ten"}, "TRAINADMIN_MAX_UPLOAD_MB must be a whole number"),
        ({"TRAINADMIN_MAX_UPLOAD_MB": "0"}, "TRAINADMIN_MAX_UPLOAD_MB must be .* from 1 to 1024"),
        ({"TRAINADMIN_MAX_UPLOAD_MB": "5000"}, "TRAINADMIN_MAX_UPLOAD_MB must be .* from 1 to 1024"),
        ({"TRAINADMIN_MAIL_MAX_ATTEMPTS": "often"}, "TRAINADMIN_MAIL_MAX_ATTEMPTS must be a whole number"),
        ({"TRAINADMIN_MAIL_MAX_ATTEMPTS": "0"}, "TRAINADMIN_MAIL_MAX_ATTEMPTS must be .* from 1 to 100"),
        ({"TRAINADMIN_MAIL_CONNECTIONS": "0"}, "TRAINADMIN_MAIL_CONNECTIONS must be .* from 1 to 8"),
        ({"TRAINADMIN_MAIL_CONNECTIONS": "many"}, "TRAINADMIN_MAIL_CONNECTIONS must be a whole number"),
        ({"TRAINADMIN_TRUSTED_PROXIES": "yes"}, "TRAINADMIN_TRUSTED_PROXIES must be a whole number"),
        ({"TRAINADMIN_TRUSTED_PROXIES": "-1"}, "TRAINADMIN_TRUSTED_PROXIES must be .* from 0 to 5"),
        ({"TRAINADMIN_IMPORT_DIR": "imports"}, "TRAINADMIN_IMPORT_DIR must be an absolute path"),
    ],
)
def test_bad_configuration_is_refused_with_its_reason(tmp_path, environ, reason):
    with pytest.raises(ConfigError, match=reason):
        load(tmp_path, environ=environ)


def test_the_app_refuses_to_start_with_one_line(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SECRET_KEY", "REDIS_URL"))
    }
    env.update({"DATABASE_URL": "postgresql://nobody@127.0.0.1/none"})
    flask = Path(sys.executable).with_name("flask")
    completed = subprocess.run(
        [str(flask), "--app", "app", "routes"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 1
    lines = completed.stderr.strip().splitlines()
    assert lines == [
        "TrainAdmin cannot start: SECRET_KEY is not set: export SECRET_KEY=<a long random string>"
    ]


def test_the_web_entry_point_keeps_what_start_up_built_out_of_the_collectors_sweeps(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update({"SECRET_KEY": "x" * 32, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"})
    completed = subprocess.run(
        [sys.executable, "-c", "import gc, app; print(gc.get_freeze_count())"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    # The app's models, routes and templates: tens of thousands of objects no full sweep walks again.
    assert int(completed.stdout) > 20_000
