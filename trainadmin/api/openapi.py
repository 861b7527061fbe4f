"""GET /api/v1/openapi.json: the OpenAPI 3 description of the catalogue API (docs/api.md in prose).

`tests/test_api_schema.py` runs Schemathesis against it: every answer of the real endpoint must
match this description (status codes, content types and bodies)."""

from __future__ import annotations

from flask import jsonify

from . import catalog
from .blueprint import api_bp
from .catalog import DEFAULT_PAGE_SIZE, EMAIL_MAX_LENGTH, MAX_PAGE, MAX_PAGE_SIZE, SPACES


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


# catalog.EMAIL_RE, anchored; surrounding blanks are allowed since the API strips them.
EMAIL_PATTERN = rf"^[{SPACES}]*{catalog.EMAIL_PATTERN}[{SPACES}]*$"
DATE = {"type": "string", "format": "date"}
HOUR = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}


def _object(properties: dict) -> dict:
    return {
        "type": "object",
        "required": sorted(properties),
        "properties": properties,
        "additionalProperties": False,
    }


SLOT_DATE = _object(
    {"day": DATE, "start": HOUR, "end": HOUR, "break_minutes": {"type": "integer", "minimum": 0}}
)
LOCATION = _object(
    {
        "name": {"type": "string"},
        "address": _nullable({"type": "string"}),
        "postcode": _nullable({"type": "string"}),
        "city": _nullable({"type": "string"}),
    }
)
SLOT = _object(
    {
        "location": _nullable(LOCATION),
        "room": _nullable({"type": "string"}),
        "trainers": {"type": "array", "items": {"type": "string"}},
        "dates": {"type": "array", "items": SLOT_DATE},
    }
)
SEQUENCE = _object(
    {
        "label": {"type": "string"},
        "position": {"type": "integer"},
        "is_prework": {"type": "boolean"},
        "teaching_mode": _nullable({"type": "string"}),
        "url": _nullable({"type": "string"}),
        "status": {"type": "string", "enum": ["planned", "closed", "cancelled", "external"]},
        "start_date": _nullable(DATE),
        "end_date": _nullable(DATE),
        "slots": {"type": "array", "items": SLOT},
    }
)
SESSION = _object(
    {
        "code": {"type": "string"},
        "label": {"type": "string"},
        "training": {"type": "string"},
        "session_type": {"type": "string", "enum": ["intra", "inter"]},
        "year": {"type": "integer"},
        "start_date": _nullable(DATE),
        "end_date": _nullable(DATE),
        "duration_days": _nullable({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]$"}),
        "duration_hours": _nullable({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}),
        "capacity_max": _nullable({"type": "integer"}),
        "enrolled_count": {"type": "integer", "minimum": 0},
        "seats_left": _nullable({"type": "integer", "minimum": 0}),
        "populations": {"type": "array", "items": {"type": "string"}},
        "sequences": {"type": "array", "items": SEQUENCE},
    }
)
CATALOG = _object(
    {
        "collaborator": {"type": "string"},
        "count": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "sessions": {"type": "array", "items": SESSION},
    }
)
ERROR = _object({"error": {"type": "string"}})


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


SPEC = {
    "openapi": "3.0.3",
    "info": {
        "title": "TrainAdmin learner catalogue API",
        "version": "1",
        "description": "The training sessions one collaborator may see and enrol in (docs/api.md).",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"ApiKey": []}],
    "paths": {
        "/catalog": {
            "get": {
                "operationId": "getCatalog",
                "summary": "The catalogue of one collaborator",
                "parameters": [
                    {
                        "name": "collaborator",
                        "in": "query",
                        "required": True,
                        "description": "The collaborator's e-mail address, matched ignoring case; "
                        "surrounding spaces are ignored.",
                        "schema": {
                            "type": "string",
                            "maxLength": EMAIL_MAX_LENGTH,
                            "pattern": EMAIL_PATTERN,
                        },
                        "example": "lea.martin@example.com",
                    },
                    {
                        "name": "page",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                    },
                    {
                        "name": "page_size",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE_SIZE,
                            "default": DEFAULT_PAGE_SIZE,
                        },
                    },
                ],
                "responses": {
                    "200": {
                        "description": "One page of the collaborator's catalogue.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Catalog"}}},
                    },
                    "400": _error_response(
                        "collaborator missing or not an e-mail address; page or page_size out of range."
                    ),
                    "401": _error_response("X-API-Key missing or wrong, or no key configured."),
                    "404": _error_response("No collaborator has this e-mail address."),
                    "409": _error_response("Several collaborators match the address only ignoring case."),
                },
            }
        }
    },
    "components": {
        "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        "schemas": {
            "Catalog": CATALOG,
            "Session": SESSION,
            "Error": ERROR,
        },
    },
}


@api_bp.get("/openapi.json")
def openapi():
    """The description is public: it holds no data, only the shape of the answers."""
    return jsonify(SPEC)
