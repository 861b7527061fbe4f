"""Reading a partner's feed: fetch it (uploaded file, file or folder on the server, HTTPS address),
decode it (`feed_text`: its encoding and separator) and parse it into sessions (`feed_csv`,
`feed_json`), each value with its line (CSV) or JSON path, so that a problem names where it is.

Nothing here touches the database: `importer.py` matches what is read against the sessions.
The formats are documented in docs/partner-import.md.
"""

from __future__ import annotations

import os
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext

from ...ids import parse_id
from ...models import FeedFormat
from .feed_csv import parse_csv
from .feed_items import FeedError, FeedSession
from .feed_json import parse_json
from .feed_text import decode
from .feed_values import mark_duplicates

FETCH_TIMEOUT = 30  # seconds, to connect and between two reads


# --- Getting the bytes ------------------------------------------------------------------------


def max_bytes() -> int:
    return current_app.config["TRAINADMIN_MAX_UPLOAD_MB"] * 1024 * 1024


def too_big() -> FeedError:
    return FeedError(
        gettext(
            "The file is over the size limit of %(mb)s MB.",
            mb=current_app.config["TRAINADMIN_MAX_UPLOAD_MB"],
        )
    )


def read_limited(stream, limit: int | None = None) -> bytes:
    """At most the size limit from a stream (an upload, a response), or FeedError."""
    limit = max_bytes() if limit is None else limit
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_big()
    return data


def import_folder() -> Path:
    return Path(current_app.config["TRAINADMIN_IMPORT_DIR"]).resolve()


def outside_folder(path_text: str) -> FeedError:
    return FeedError(
        gettext(
            "The path %(path)s is outside the import folder %(folder)s: partners' files are read "
            "only from that folder.",
            path=path_text,
            folder=str(import_folder()),
        )
    )


def path_in_import_folder(path_text: str) -> Path:
    """The feed's file or folder, every symbolic link followed, when it lies in the import folder
    (`TRAINADMIN_IMPORT_DIR`); a relative path is taken from that folder. Anything else: FeedError."""
    folder = import_folder()
    try:
        path = (folder / path_text.strip()).resolve()
    except (OSError, ValueError, RuntimeError):
        raise outside_folder(path_text) from None
    if not path_text.strip() or not path.is_relative_to(folder):
        raise outside_folder(path_text)
    return path


def read_path(path_text: str, feed_format: FeedFormat) -> tuple[str, bytes]:
    """A file, or the newest file with the format's extension in a folder: (name, content), only
    from the import folder."""
    path = path_in_import_folder(path_text)
    folder = import_folder()
    try:
        if path.is_dir():
            candidates = [
                (entry.name, entry.resolve())
                for entry in path.iterdir()
                if entry.suffix.lower() == f".{feed_format.value}"
            ]
            candidates = [
                (name, real) for name, real in candidates if real.is_relative_to(folder) and real.is_file()
            ]
            if not candidates:
                raise FeedError(
                    gettext(
                        "No %(format)s file in the folder %(path)s.",
                        format=feed_format.value.upper(),
                        path=path_text,
                    )
                )
            name, path = max(candidates, key=lambda item: (item[1].stat().st_mtime, item[0]))
        else:
            name = path.name
        # The resolved path is opened without following a link put there since it was checked.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > max_bytes():
                raise too_big()
            return name, read_limited(handle)
    except (OSError, RuntimeError) as exc:
        raise FeedError(
            gettext(
                "The file %(path)s cannot be read: %(reason)s",
                path=path_text,
                reason=getattr(exc, "strerror", None) or exc,
            )
        ) from None


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme != "https":
            raise urllib.error.URLError(gettext("redirected to an address that is not https://"))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_url(url: str) -> tuple[str, bytes]:
    """GET an https:// address with a timeout and the size limit; certificates are checked."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise FeedError(gettext("Only https:// addresses are accepted."))
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=ssl.create_default_context()), _HttpsOnlyRedirects()
    )
    request = urllib.request.Request(url, headers={"User-Agent": "TrainAdmin partner import"})  # noqa: S310
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            announced = parse_id(length, 18)
            if announced is not None and announced > max_bytes():
                raise too_big()
            data = read_limited(response)
    except urllib.error.HTTPError as exc:
        raise FeedError(
            gettext("The feed could not be fetched from %(url)s: %(reason)s", url=url, reason=exc.code)
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FeedError(
            gettext("The feed could not be fetched from %(url)s: %(reason)s", url=url, reason=reason)
        ) from None
    name = Path(parts.path).name or parts.netloc
    return name, data


# --- Sessions -----------------------------------------------------------------------------------


def parse(data: bytes, feed_format: FeedFormat, known: dict[str, str] | None = None) -> list[FeedSession]:
    """The sessions of a file, its encoding (and, for CSV, its separator) found from its content.
    `known`: the digests the partner's sessions were last imported from, by reference (their
    sessions, unchanged, are not read further)."""
    feed = decode(data)
    sessions = parse_json(feed, known) if feed_format == FeedFormat.JSON else parse_csv(feed, known)
    if not sessions:
        raise FeedError(gettext("The file holds no session."))
    mark_duplicates(sessions)
    return sessions
