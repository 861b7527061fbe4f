"""`/l/<token>`: the pages of the links sent to people without an account (a manager, a participant,
a trainer). One URL shape for every purpose: the token's link says what the page is, and each
purpose registers its pages with `link_view`. A page gets the live link, already checked (its
purpose, expiry, use, revocation: `services.links.find`), and never an id from the URL.

Every answer of these pages: no Referer sent from them (the token is in their URL), not cached,
not indexed; requests are rate-limited per client address, refused links more strictly
(`security.limit_links`); the request log writes `/l/…` without the token (`logs.redacted_path`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request

from ..models import AccessLink, LinkPurpose
from ..services.links import LinkRefused, Refusal, find
from ..services.organisation import current_settings

links_bp = Blueprint("links", __name__, url_prefix="/l")

#: The main page of a link: /l/<token>
PAGE = "page"


@dataclass(frozen=True)
class LinkView:
    view: Callable[[AccessLink], object]
    methods: tuple[str, ...]
    #: Called instead of the refusal page for a link of this purpose already used, expired or
    #: replaced (e.g. « déjà traitée » with the decision): view(link, refusal) or None.
    refused: Callable[[AccessLink, Refusal], object] | None = None


_VIEWS: dict[tuple[LinkPurpose, str], LinkView] = {}


def link_view(purpose: LinkPurpose, name: str = PAGE, methods=("GET",), refused=None):
    """Register `view(link)` as the page `name` of the links of `purpose` (/l/<token>/<name>)."""

    def register(view):
        _VIEWS[(purpose, name)] = LinkView(view, tuple(methods), refused)
        return view

    return register


def refused_page(exc: LinkRefused):
    status = 404 if exc.refusal == Refusal.UNKNOWN else 410
    return render_template("links/refused.html", message=exc.message, refusal=exc.refusal.value), status


def _dispatch(token: str, name: str):
    try:
        link = find(token)
    except LinkRefused as exc:
        if exc.link is not None:
            entry = _VIEWS.get((exc.link.purpose, name)) or _VIEWS.get((exc.link.purpose, PAGE))
            if entry is not None and entry.refused is not None:
                return entry.refused(exc.link, exc.refusal)
        return refused_page(exc)
    entry = _VIEWS.get((link.purpose, name))
    if entry is None:
        return refused_page(LinkRefused(Refusal.UNKNOWN))
    if request.method not in entry.methods:
        abort(405)
    try:
        return entry.view(link)
    except LinkRefused as exc:  # spent meanwhile (two clicks at once): the second sees why
        if entry.refused is not None and exc.link is not None:
            return entry.refused(exc.link, exc.refusal)
        return refused_page(exc)


@links_bp.route("/<token>", methods=("GET", "POST"))
def page(token: str):
    return _dispatch(token, PAGE)


@links_bp.route("/<token>/<name>", methods=("GET", "POST"))
def subpage(token: str, name: str):
    return _dispatch(token, name)


@links_bp.context_processor
def organisation_name() -> dict:
    settings = current_settings()
    return {"organisation_name": settings.name if settings is not None else ""}


@links_bp.after_request
def private_answer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
