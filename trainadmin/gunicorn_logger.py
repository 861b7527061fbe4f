"""gunicorn's access log without the tokens of the links sent by e-mail (`/l/<token>`): run
gunicorn with `--logger-class trainadmin.gunicorn_logger.RedactingLogger` (README « Production »).
Only gunicorn imports this module (it needs the `prod` extra)."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

_TOKEN = re.compile(r"/l/[^/?\s\"]+")


class RedactingLogger(Logger):
    """Every text of an access-log line (request line, path, URI, Referer, headers) with `/l/…`
    where a link's token was."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: _TOKEN.sub("/l/…", value) if isinstance(value, str) and "/l/" in value else value
            for key, value in atoms.items()
        }
