"""The address of a link, as its recipient opens it: TRAINADMIN_PUBLIC_URL + /l/<token>[/<page>]
(e-mails are written by workers, which have no request to take a host from)."""

from __future__ import annotations

from flask import current_app


def link_url(token: str, page: str | None = None) -> str:
    base = current_app.config["TRAINADMIN_PUBLIC_URL"]
    return f"{base}/l/{token}" + (f"/{page}" if page else "")
