"""Entry point for `flask --app app ...` and for WSGI servers (`gunicorn 'app:app'`)."""

from trainadmin import create_app
from trainadmin.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"TrainAdmin cannot start: {exc}") from None
