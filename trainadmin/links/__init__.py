"""The pages of the links sent to people without an account (`/l/<token>`)."""

from . import surveys  # noqa: F401  (its pages register on the blueprint)
from .blueprint import PAGE, link_view, links_bp, refused_page

__all__ = ["PAGE", "link_view", "links_bp", "refused_page"]
