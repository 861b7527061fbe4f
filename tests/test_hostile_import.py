"""Hostile partner feeds: the parser answers with sessions or a FeedError, never another exception;
an import run ends (succeeded or failed), every session of the feed is either created whole or
listed among the rejections, and a created session's title is stored as typed (spaces trimmed)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from trainadmin.extensions import db
from trainadmin.models import FeedFormat, ImportRejection, ImportStatus, Location, TrainingSession
from trainadmin.services.imports.feeds import FeedError, parse
from trainadmin.services.imports.runs import perform_run, queue_run

from . import factories
from .hostile_support import FORM_SETTINGS, hostile_text, record

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
CSV_EXAMPLE = (EXAMPLES / "partner-sessions.csv").read_text(encoding="utf-8")
JSON_EXAMPLE = json.loads((EXAMPLES / "partner-sessions.json").read_text(encoding="utf-8"))
CSV_ROWS = list(csv.reader(io.StringIO(CSV_EXAMPLE), delimiter=";"))
SERIAL = itertools.count()


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@st.composite
def hostile_csv(draw) -> tuple[bytes, dict]:
    """The example feed with a few cells replaced; returns the bytes and the cells changed."""
    rows = [list(row) for row in CSV_ROWS]
    changes = draw(
        st.dictionaries(
            st.tuples(st.integers(1, len(rows) - 1), st.integers(0, len(rows[0]) - 1)),
            hostile_text,
            min_size=1,
            max_size=4,
        )
    )
    for (row, column), value in changes.items():
        rows[row][column] = value
    return to_csv(rows), changes


json_scalars = st.one_of(
    hostile_text,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


def paths(value, prefix=()):
    """Every place in a JSON document: keys of objects and indexes of lists."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


JSON_PATHS = [path for path in paths(JSON_EXAMPLE) if path]


@st.composite
def hostile_json(draw) -> bytes:
    document = json.loads(json.dumps(JSON_EXAMPLE))
    for path in draw(st.lists(st.sampled_from(JSON_PATHS), min_size=1, max_size=3)):
        target = document
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced a parent
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


any_bytes = st.one_of(
    st.binary(max_size=500),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [b"", b"\xef\xbb\xbf", b"\x00" * 50, b"{}", b"[]", b"null", b'{"sessions": {}}', b"1e999"]
    ),
)


@FORM_SETTINGS
@given(
    data=st.one_of(any_bytes, hostile_csv().map(lambda pair: pair[0])), feed_format=st.just(FeedFormat.CSV)
)
def test_csv_parser_answers_sessions_or_a_feed_error(data, feed_format):
    try:
        sessions = parse(data, feed_format)
    except FeedError as exc:
        assert exc.message
        record("import parser: CSV", True)
    else:
        assert sessions
        record("import parser: CSV", False)


@FORM_SETTINGS
@given(data=st.one_of(any_bytes, hostile_json()), feed_format=st.just(FeedFormat.JSON))
def test_json_parser_answers_sessions_or_a_feed_error(data, feed_format):
    try:
        sessions = parse(data, feed_format)
    except FeedError as exc:
        assert exc.message
        record("import parser: JSON", True)
    else:
        assert sessions
        record("import parser: JSON", False)


@pytest.fixture
def world(db):
    """The reference data the examples name."""
    organisation = factories.make_named(factories.TrainingOrganisation, name="Numérique & Compétences")
    factories.make_training(name="Cybersécurité : les bons réflexes", reference="NUM-CYBER")
    factories.make_training(name="Excel perfectionnement", reference="BUR-XL2")
    lyon = factories.make_named(Location, name="Campus Lyon Part-Dieu")
    defense = factories.make_named(Location, name="Siège La Défense")
    for location, name in ((lyon, "Salle Rhône"), (lyon, "Salle Saône"), (defense, "Salle Seine")):
        factories.make_room(location=location, name=name, capacity=20)
    factories.make_trainer(first_name="Nicolas", last_name="Aubert", email="nicolas.aubert@example.com")
    factories.make_trainer(first_name="Émilie", last_name="Vasseur", email="emilie.vasseur@example.com")
    for name in ("E-learning", "Présentiel"):
        factories.make_named(factories.TeachingMode, name=name)
    db.session.commit()
    return {"organisation": organisation}


def import_feed(world, data: bytes, feed_format: FeedFormat, name: str):
    """One run for a partner of its own; checks it ended and wrote whole sessions only."""
    partner = factories.make_partner(name=f"Partenaire {next(SERIAL)}", organisation=world["organisation"])
    partner.feed_format = feed_format
    db.session.commit()
    run = queue_run(partner, data=data, filename=f"feed.{feed_format.value}")
    run = perform_run(run.id, checkpoint=db.session.commit)
    accepted = run.created_count + run.updated_count + run.unchanged_count
    if run.status == ImportStatus.SUCCEEDED:
        assert run.rejected_count == 0
    elif run.status == ImportStatus.WITH_REJECTIONS:
        assert run.rejected_count > 0 and accepted > 0
    else:  # unreadable, or every session rejected
        assert run.status == ImportStatus.FAILED and accepted == 0 and run.error, run.status
    sessions = db.session.scalars(
        sa.select(TrainingSession).where(TrainingSession.partner_id == partner.id)
    ).all()
    rejected = set(
        db.session.scalars(sa.select(ImportRejection.reference).where(ImportRejection.run_id == run.id))
    )
    assert len(sessions) == run.created_count
    assert not rejected & {session.external_ref for session in sessions}
    record(name, run.status == ImportStatus.FAILED or run.rejected_count > 0)
    return run, sessions


@FORM_SETTINGS
@given(feed=hostile_csv())
def test_csv_import_creates_whole_sessions_or_rejects_them(world, feed):
    data, changes = feed
    run, sessions = import_feed(world, data, FeedFormat.CSV, "import run: CSV")
    titles = {(row, value) for (row, column), value in changes.items() if CSV_ROWS[0][column] == "title"}
    for row, value in titles:
        reference = CSV_ROWS[row][0]
        if (row, 0) in changes:
            continue
        stored = [session.label for session in sessions if session.external_ref == reference]
        if stored and value.strip():
            assert stored == [value.strip()]


@FORM_SETTINGS
@given(data=hostile_json())
def test_json_import_creates_whole_sessions_or_rejects_them(world, data):
    import_feed(world, data, FeedFormat.JSON, "import run: JSON")


def test_a_reference_with_a_nul_is_rejected_and_the_run_ends(world):
    """Found on PostgreSQL: a NUL in a reference made the database refuse the session, then the
    rejection itself (PostgreSQL refuses NUL in text), and the whole run crashed."""
    rows = [list(row) for row in CSV_ROWS]
    for row in rows[1:4]:
        row[0] = "CP\x00101"
    run, sessions = import_feed(world, to_csv(rows), FeedFormat.CSV, "import run: CSV")
    assert run.status == ImportStatus.WITH_REJECTIONS
    assert [session.external_ref for session in sessions] == ["CP-2027-102"]
    reasons = db.session.scalars(
        sa.select(ImportRejection.reason).where(ImportRejection.run_id == run.id)
    ).all()
    assert reasons and all("\x00" not in reason for reason in reasons)
