"""Partner feeds on the server are read only from the import folder (TRAINADMIN_IMPORT_DIR): a feed
path pointing elsewhere — /etc/passwd, /proc/self/environ, a `..`, a symbolic link — is refused
when the partner is saved and again when the feed is fetched, and nothing of the file is read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trainadmin.extensions import db as _db
from trainadmin.models import FeedSource, ImportRun, ImportStatus, Partner, TrainingSession
from trainadmin.services.imports.runs import perform_run, queue_run

from . import test_imports
from .conftest import count_rows, field_errors, post_form
from .test_imports import csv_feed, fr

world = test_imports.world  # the reference data of the import tests, as a fixture here too

ROW = "R1;NUM-CYBER;A;S;1;2027-05-10;09:00;17:00;60;;;"


def fetch(partner, source: str) -> ImportRun:
    partner.source_kind, partner.source = FeedSource.PATH, source
    run = queue_run(partner)
    return perform_run(run.id, checkpoint=_db.session.commit)


def refused_outside(run: ImportRun, source: str, folder) -> None:
    assert run.status == ImportStatus.FAILED
    assert run.error == fr(
        "The path %(path)s is outside the import folder %(folder)s: partners' files are read "
        "only from that folder.",
        path=source,
        folder=str(folder.resolve()),
    )
    assert run.payload is None, "nothing of the file was read"
    assert count_rows(_db, TrainingSession) == 0


@pytest.mark.parametrize("source", ["/etc/passwd", "/proc/self/environ", "../outside.csv", "/"])
def test_a_feed_outside_the_import_folder_is_refused_at_fetch(world, import_folder, source):
    (import_folder.parent / "outside.csv").write_text(csv_feed(ROW))
    run = fetch(world["partner"], source)
    refused_outside(run, source, import_folder)


def test_a_symbolic_link_leading_out_of_the_folder_is_refused(world, import_folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "secret.csv"
    elsewhere.write_text(csv_feed(ROW))
    link = import_folder / "feed.csv"
    link.symlink_to(elsewhere)
    refused_outside(fetch(world["partner"], str(link)), str(link), import_folder)
    (import_folder / "folder").symlink_to(elsewhere.parent, target_is_directory=True)
    refused_outside(fetch(world["partner"], "folder"), "folder", import_folder)


def test_a_folder_feed_skips_links_that_lead_out(world, import_folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "secret.csv"
    elsewhere.write_text(csv_feed(ROW))
    feeds = import_folder / "campus"
    feeds.mkdir()
    (feeds / "newest.csv").symlink_to(elsewhere)
    run = fetch(world["partner"], str(feeds))
    assert (run.status, run.error) == (
        ImportStatus.FAILED,
        fr("No %(format)s file in the folder %(path)s.", format="CSV", path=str(feeds)),
    )


def test_a_feed_inside_the_folder_is_read_by_absolute_or_relative_path(world, import_folder):
    feeds = import_folder / "campus"
    feeds.mkdir()
    (feeds / "sessions.csv").write_text(csv_feed(ROW))
    run = fetch(world["partner"], "campus/sessions.csv")
    assert (run.status, run.filename, run.created_count) == (ImportStatus.SUCCEEDED, "sessions.csv", 1)
    inside_link = import_folder / "latest.csv"
    inside_link.symlink_to(feeds / "sessions.csv")
    assert fetch(world["partner"], str(inside_link)).status == ImportStatus.SUCCEEDED


@pytest.mark.parametrize("source", ["/etc/passwd", "/proc/self/environ", "../elsewhere.csv"])
def test_the_partner_form_refuses_a_path_outside_the_folder(admin_client, db, import_folder, source):
    response = post_form(
        admin_client,
        "/admin/partners/new/",
        {
            "name": "Campus Partenaires",
            "feed_format": "csv",
            "source_kind": "path",
            "source": source,
            "unknown_policy": "reject",
            "publication": "draft",
        },
    )
    html = response.get_data(as_text=True)
    message = fr(
        "The path %(path)s is outside the import folder %(folder)s: partners' files are read "
        "only from that folder.",
        path=source,
        folder=str(import_folder.resolve()),
    )
    assert field_errors(html, "source") == [message]
    assert count_rows(db, Partner) == 0


def test_the_partner_form_accepts_a_path_in_the_folder(admin_client, db, import_folder):
    response = post_form(
        admin_client,
        "/admin/partners/new/",
        {
            "name": "Campus Partenaires",
            "feed_format": "csv",
            "source_kind": "path",
            "source": str(import_folder / "campus"),
            "unknown_policy": "reject",
            "publication": "draft",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Partner.source)) == str(import_folder / "campus")


@pytest.fixture
def admin_client(login_as):
    from trainadmin.models import Role

    return login_as(Role.ADMIN)


def test_the_demo_partner_reads_its_feed_from_the_import_folder(app, db, import_folder):
    from datetime import date

    from trainadmin.demo import seed_demo

    seed_demo(admin_password="demo-password-1", today=date(2026, 11, 28))
    partner = db.session.scalar(sa.select(Partner).where(Partner.name == "Campus Partenaires"))
    assert partner.source == str(import_folder / "campus-partenaires" / "partner-sessions.csv")
    run = perform_run(queue_run(partner).id, checkpoint=_db.session.commit)
    assert run.filename == "partner-sessions.csv"
    assert run.status != ImportStatus.FAILED, run.error
