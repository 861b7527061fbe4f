"""Partner configuration checks."""

from __future__ import annotations

from urllib.parse import urlsplit

from croniter import croniter
from flask_babel import gettext

from ...models import FeedSource
from .feed_items import FeedError
from .feeds import import_folder, path_in_import_folder

CRON_FIELD_COUNT = 5


def cron_error(expression: str) -> str | None:
    fields = expression.split()
    if len(fields) != CRON_FIELD_COUNT:
        return gettext("A cron expression has 5 fields, for example: 0 3 * * *")
    allowed = set("0123456789*/,-")
    if any(not set(field) <= allowed for field in fields) or not croniter.is_valid(expression):
        return gettext("A cron expression has 5 fields, for example: 0 3 * * *")
    return None


def partner_source_errors(
    kind: FeedSource | None, source: str | None, schedule: str | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    source = (source or "").strip()
    if kind == FeedSource.URL:
        parts = urlsplit(source)
        if parts.scheme != "https" or not parts.netloc:
            errors["source"] = gettext("Enter an address starting with https://.")
    elif kind == FeedSource.PATH and not source:
        errors["source"] = gettext(
            "Enter the file or folder to read, in the import folder %(folder)s.", folder=str(import_folder())
        )
    elif kind == FeedSource.PATH:
        try:
            path_in_import_folder(source)
        except FeedError as exc:
            errors["source"] = exc.message
    if schedule and schedule.strip():
        message = cron_error(schedule.strip())
        if message:
            errors["schedule"] = message
        elif kind == FeedSource.UPLOAD:
            errors["schedule"] = gettext("A schedule needs a feed to fetch: choose a path or an address.")
    return errors
