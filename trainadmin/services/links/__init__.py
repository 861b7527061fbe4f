"""Links for the people who never log in: tokens bound to a purpose, a person and an object."""

from .tokens import (
    MESSAGES,
    TOKEN_BYTES,
    TOKEN_SHAPE,
    LinkRefused,
    Refusal,
    find,
    issue,
    live_links,
    revoke_links,
    token_hash,
    use,
)

__all__ = [
    "MESSAGES",
    "TOKEN_BYTES",
    "TOKEN_SHAPE",
    "LinkRefused",
    "Refusal",
    "find",
    "issue",
    "live_links",
    "revoke_links",
    "token_hash",
    "use",
]
