"""The pages of the links sent to people without an account (`/l/<token>`)."""

from . import signin  # noqa: F401 (registers its pages)
from .blueprint import PAGE, link_view, links_bp, refused_page

__all__ = ["PAGE", "link_view", "links_bp", "refused_page"]
