"""The pages of the links sent to people without an account (`/l/<token>`)."""

from . import trainers  # noqa: F401 (registers the trainer's page and feed)
from .blueprint import PAGE, link_view, links_bp, refused_page

__all__ = ["PAGE", "link_view", "links_bp", "refused_page"]
