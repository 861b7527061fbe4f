"""TrainAdmin: the back office of a corporate training platform."""

from __future__ import annotations

from .factory import ROOT, create_app

__all__ = ["ROOT", "create_app"]
