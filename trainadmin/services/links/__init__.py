"""Links for the people who never log in: tokens bound to a purpose, a person and an object."""

from .surveys import SURVEY_LINK_DAYS, survey_link, survey_links
from .tokens import MESSAGES, LinkRefused, Refusal, find, issue, live_links, revoke_links, token_hash, use
from .urls import link_url

__all__ = [
    "MESSAGES",
    "SURVEY_LINK_DAYS",
    "LinkRefused",
    "Refusal",
    "find",
    "issue",
    "link_url",
    "live_links",
    "revoke_links",
    "survey_link",
    "survey_links",
    "token_hash",
    "use",
]
