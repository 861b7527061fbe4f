"""Entry point for `flask --app app ...` and for WSGI servers (`gunicorn 'app:app'`)."""

import gc

from trainadmin import create_app
from trainadmin.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"TrainAdmin cannot start: {exc}") from None

# What start-up built (models, routes, templates, menus) lives as long as the process: kept out of
# the garbage collector's full sweeps, which otherwise walk it every few dozen pages and make the
# slowest requests several times slower (docs/benchmarks.md « The session page of a big session »).
gc.freeze()
