"""Probes for the process manager and the load balancer, open to anyone (they reveal nothing).

- `/healthz`: the process answers; touches neither the database nor Redis.
- `/readyz`: the database answers `SELECT 1` and, when REDIS_URL is set, Redis answers PING;
  200 with each check, or 503 naming what is down.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from .extensions import db
from .queue import redis_connection

log = logging.getLogger(__name__)

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


def _check_database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except sa.exc.SQLAlchemyError as exc:
        log.warning("readyz: database unreachable: %s", exc.__class__.__name__)
        return "down"
    finally:
        db.session.rollback()


def _check_redis() -> str | None:
    if not current_app.config.get("REDIS_URL"):
        return None
    from redis.exceptions import RedisError

    try:
        redis_connection().ping()
        return "ok"
    except (RedisError, OSError) as exc:
        log.warning("readyz: Redis unreachable: %s", exc.__class__.__name__)
        return "down"


@health_bp.get("/readyz")
def readyz():
    checks = {"database": _check_database()}
    redis_state = _check_redis()
    if redis_state is not None:
        checks["redis"] = redis_state
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "down" if down else "ok", "checks": checks}
    if down:
        body["down"] = down
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if down else 200
