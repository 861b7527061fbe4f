"""Hostile values for the property-based tests, and how to tell a refused input from an accepted one.

Each test records how many inputs it tried and how many were refused cleanly in `STATS`; the
figures are printed at the end of the run (see `pytest_terminal_summary` in conftest)."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from html.parser import HTMLParser

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from trainadmin.extensions import db

from .conftest import flashed_errors

STATS: dict[str, Counter] = {}

# 40 examples per form by default; HOSTILE_EXAMPLES=300 HYPOTHESIS_PROFILE=explore for a longer hunt.
FORM_SETTINGS = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

FRAGMENTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\r\n\t",
    "\u202eRTL\u202c",
    "\u200f\u200e\u200b\ufeff",
    "e\u0301\u0301\u0301",
    "😀👩‍👩‍👧",
    "１２３",
    "²",
    "٣",
    "1_000",
    "0",
    "-1",
    "-0",
    "1e308",
    "-1e308",
    "1e-308",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "99999999999999999999999999",
    "0,5",
    "1.234,5",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2027-02-30",
    "31/12/9999",
    "00:00",
    "24:00",
    "23:59:60",
    "-1:00",
    "'; DROP TABLE training_session; --",
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% for x in range(10**9) %}{% endfor %}",
    '=HYPERLINK("http://x")',
    "%s%s%n",
    "../../etc/passwd",
    "y",
    "on",
    "true",
]

hostile_text = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=30),
    st.builds(
        lambda piece, times: piece * times,
        st.sampled_from(["a", "é", "😀", "\u202e", "9", "<b>"]),
        st.integers(min_value=300, max_value=20_000),
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
)


def hostile_fields(names: list[str], min_size: int = 1, max_size: int = 4):
    """A dict overriding a few of `names` with hostile values."""
    return st.dictionaries(st.sampled_from(sorted(names)), hostile_text, min_size=min_size, max_size=max_size)


FIELD_NAME_RE = re.compile(r'name="([^"]+)"')


def field_names(html: str, exclude: tuple[str, ...] = ("csrf_token", "next")) -> list[str]:
    return sorted({name for name in FIELD_NAME_RE.findall(html) if name not in exclude})


class _FormValues(HTMLParser):
    """The values a browser would post from a page's forms, as they are shown."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and "disabled" not in attributes:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.values[name] = attributes.get("value", "y")
            elif kind not in ("submit", "button", "file"):
                self.values.setdefault(name, attributes.get("value") or "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(html)
    parser.values.pop("csrf_token", None)
    return parser.values


def checksum(*models) -> str:
    """Row counts of every table and the content of the given ones: equal before and after means
    nothing was written."""
    tables = db.metadata.sorted_tables
    counts = db.session.execute(
        sa.union_all(*(sa.select(sa.literal(t.name), sa.func.count()).select_from(t) for t in tables))
    ).all()
    digest = hashlib.sha256(repr(sorted(counts)).encode())
    for model in models:
        table = model.__table__ if hasattr(model, "__table__") else db.metadata.tables[model]
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(repr(rows).encode())
    return digest.hexdigest()


def refused(client, response) -> bool:
    """The user was told no: an error status, a red message flashed for the next page, or the form
    shown again with its errors."""
    if response.status_code >= 400:
        return True
    if response.status_code in (301, 302, 303):
        with client.session_transaction() as cookie_session:
            flashes = list(cookie_session.get("_flashes", []))
        client.get(response.headers["Location"])  # shows (and so consumes) the messages
        return any(category in ("error", "danger") for category, _ in flashes)
    html = response.get_data(as_text=True)
    return bool(flashed_errors(html)) or "is-invalid" in html or "invalid-feedback d-block" in html


def record(name: str, was_refused: bool) -> None:
    counter = STATS.setdefault(name, Counter())
    counter["tried"] += 1
    counter["refused"] += int(was_refused)


def submit(client, url: str, data: dict, name: str, *models, files: dict | None = None):
    """POST `data`; never a 500, and a refused input leaves the database as it was."""
    before = checksum(*models)
    payload = {"csrf_token": client.csrf, **data, **(files or {})}
    response = client.post(url, data=payload)
    assert response.status_code < 500, (url, data, response.get_data(as_text=True)[:2000])
    was_refused = refused(client, response)
    record(name, was_refused)
    if was_refused:
        assert checksum(*models) == before, f"refused but changed: {url} {data!r}"
    return response, was_refused
