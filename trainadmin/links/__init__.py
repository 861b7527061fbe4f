"""The pages of the links sent to people without an account (`/l/<token>`)."""

from . import calendar_feeds, manager, signin, surveys, trainers  # noqa: F401  (their pages register on the blueprint)
from .blueprint import PAGE, link_view, links_bp, refused_page

__all__ = ["PAGE", "link_view", "links_bp", "refused_page"]
