"""Read-only JSON for the learner application (see docs/api.md)."""

from __future__ import annotations

from . import catalog, openapi  # noqa: F401  (their views register on the blueprint)
from .blueprint import api_bp

__all__ = ["api_bp"]
