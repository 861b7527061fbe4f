"""GET /api/v1/catalog?collaborator=<email>: the sessions one learner may see and enrol in."""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, jsonify, request

from ..extensions import db
from ..ids import parse_id
from ..models import Collaborator, Location, Sequence, Slot, SlotDate, TrainingSession
from ..services.planning import planning_loaders
from ..services.sessions import catalog_query
from .blueprint import api_bp

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # keeps the SQL OFFSET far from integer overflow
EMAIL_MAX_LENGTH = 254
# Python's whitespace (str.isspace) and control characters spelt out, so that the OpenAPI pattern
# (an ECMAScript regex, whose \s is another set) says exactly the same thing.
SPACES = r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # str.strip()
BLANKS = rf"\x00-\x20\x7f{SPACES}"
EMAIL_PATTERN = rf"[^@{BLANKS}]+@[^@{BLANKS}]+"
EMAIL_RE = re.compile(EMAIL_PATTERN)

CATALOG_LOADERS = planning_loaders()


class ApiError(Exception):
    """A refused request: its HTTP status and a short message for the caller."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str):
    return jsonify(error=message), status


def _authorised() -> bool:
    """The X-API-Key header matches one configured key; every key is compared, in constant time."""
    given = request.headers.get("X-API-Key", "").encode()
    keys = current_app.config.get("TRAINADMIN_API_KEYS") or ()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode())
    return bool(given) and matched


def _positive_int(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = parse_id(raw, len(str(maximum)))
    if value is None or not 1 <= value <= maximum:
        raise ApiError(400, f"{name} must be a whole number between 1 and {maximum}")
    return value


def _collaborator() -> Collaborator:
    email = (request.args.get("collaborator") or "").strip()
    if not email:
        raise ApiError(400, "the collaborator parameter (an e-mail address) is required")
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_RE.fullmatch(email):
        raise ApiError(400, "the collaborator parameter must be an e-mail address")
    matches = db.session.scalars(
        sa.select(Collaborator)
        .where(sa.func.lower(Collaborator.email) == sa.func.lower(email))
        .order_by(Collaborator.id)
    ).all()
    exact = [collaborator for collaborator in matches if collaborator.email == email]
    if exact:
        return exact[0]
    if len(matches) > 1:
        raise ApiError(409, f"several collaborators match {email} ignoring case: give the exact address")
    if not matches:
        raise ApiError(404, f"unknown collaborator: {email}")
    return matches[0]


def _today():
    return datetime.now(ZoneInfo(current_app.config["TRAINADMIN_TZ"])).date()


@api_bp.get("/catalog")
def catalog():
    if not _authorised():
        return _error(401, "missing or invalid API key (X-API-Key header)")
    try:
        page = _positive_int("page", 1, MAX_PAGE)
        page_size = _positive_int("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        collaborator = _collaborator()
    except ApiError as exc:
        return _error(exc.status, exc.message)

    query = catalog_query(collaborator, _today())
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    sessions = db.session.scalars(
        query.options(*CATALOG_LOADERS).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return jsonify(
        collaborator=collaborator.email,
        count=count,
        page=page,
        page_size=page_size,
        sessions=[session_json(session) for session in sessions],
    )


def _decimal(value: Decimal | None, places: int) -> str | None:
    """Durations as exact decimal strings ("3.5", "24.50"), the precision they are stored with."""
    if value is None:
        return None
    return f"{Decimal(value):.{places}f}"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def session_json(session: TrainingSession) -> dict:
    seats_left = None
    if session.capacity_max is not None:
        seats_left = max(session.capacity_max - session.enrolled_count, 0)
    return {
        "code": session.code,
        "label": session.label,
        "training": session.training.name,
        "session_type": session.session_type.value,
        "year": session.year,
        "start_date": _iso(session.start_date),
        "end_date": _iso(session.end_date),
        "duration_days": _decimal(session.duration_days, 1),
        "duration_hours": _decimal(session.duration_hours, 2),
        "capacity_max": session.capacity_max,
        "enrolled_count": session.enrolled_count,
        "seats_left": seats_left,
        "populations": sorted(population.name for population in session.populations),
        "sequences": [sequence_json(sequence) for sequence in session.sequences],
    }


def sequence_json(sequence: Sequence) -> dict:
    return {
        "label": sequence.label,
        "position": sequence.position,
        "is_prework": sequence.is_prework,
        "teaching_mode": sequence.teaching_mode.name if sequence.teaching_mode else None,
        "url": sequence.url,
        "status": sequence.status.value,
        "start_date": _iso(sequence.start_date),
        "end_date": _iso(sequence.end_date),
        "slots": [slot_json(slot) for slot in sequence.slots],
    }


def slot_json(slot: Slot) -> dict:
    trainers = sorted(slot.trainers, key=lambda t: (t.last_name.lower(), t.first_name.lower(), t.id))
    return {
        "location": location_json(slot.location),
        "room": slot.room.name if slot.room else None,
        "trainers": [f"{trainer.first_name} {trainer.last_name}" for trainer in trainers],
        "dates": [slot_date_json(slot_date) for slot_date in slot.dates],
    }


def location_json(location: Location | None) -> dict | None:
    if location is None:
        return None
    return {
        "name": location.name,
        "address": location.address,
        "postcode": location.postcode,
        "city": location.city,
    }


def slot_date_json(slot_date: SlotDate) -> dict:
    return {
        "day": slot_date.day.isoformat(),
        "start": slot_date.start_time.strftime("%H:%M"),
        "end": slot_date.end_time.strftime("%H:%M"),
        "break_minutes": slot_date.break_minutes,
    }
