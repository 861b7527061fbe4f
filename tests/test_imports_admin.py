"""« Importer » and « Imports » over HTTP: the upload path lands on the run's page with its result,
roles are enforced, bad requests get a message, never a 500; the dashboard shows failed runs; the
CLI runs an import and prints its counts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from trainadmin.cli import import_partner_command
from trainadmin.models import FeedSource, ImportRun, ImportStatus, Role, TrainingSession

from . import factories
from .conftest import count_rows

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "partner-sessions.csv"
FEED = (
    "reference;training;title;sequence;date;start_time;end_time;location;room;trainers\n"
    "H1;Sécurité;Sécurité — session 1;Jour 1;2027-06-07;09:00;17:00;Campus;Salle A;Claire Martin\n"
    "H2;Sécurité;Sécurité — session 2;Jour 1;2027-06-08;09:00;25:00;Campus;Salle A;Claire Martin\n"
)


FEED_GOOD = (
    "reference;training;title;sequence;date;start_time;end_time;location;room;trainers\n"
    "H1;Sécurité;Sécurité — session 1;Jour 1;2027-06-07;09:00;17:00;Campus;Salle A;Claire Martin\n"
)
FEED_ALL_BAD = (
    "reference;training;title;sequence;date;start_time;end_time;location;room;trainers\n"
    "H3;Sécurité;Sécurité — session 3;Jour 1;2027-06-09;9 heures;17:00;Campus;Salle A;Claire Martin\n"
)
ROOT = Path(__file__).resolve().parent.parent


def fr(message: str, **values) -> str:
    with force_locale("fr"):
        return gettext(message, **values)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def partner(db):
    factories.make_training(name="Sécurité")
    campus = factories.make_named(factories.Location, name="Campus")
    factories.make_room(location=campus, name="Salle A")
    factories.make_trainer(first_name="Claire", last_name="Martin")
    return factories.make_partner(name="Partenaire HTTP")


def upload(client, partner_id, data: bytes, name: str = "sessions.csv"):
    """A multipart POST encoded in memory (the test client would spool a big body to a file it
    never closes)."""
    values = {
        "csrf_token": client.csrf,
        "partner": str(partner_id),
        "action": "upload",
        "file": FileStorage(io.BytesIO(data), name, content_type="text/csv"),
    }
    boundary, body = encode_multipart(values)
    return client.post(
        "/admin/imports/start/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_upload_lands_on_the_run_page_with_its_result(login_as, partner, db):
    client = login_as(Role.MANAGER)
    page = text(client.get("/admin/imports/start/"))
    assert 'id="import-partner"' in page and "Partenaire HTTP" in page

    response = upload(client, partner.id, FEED.encode())

    assert response.status_code == 302
    run = db.session.scalars(sa.select(ImportRun)).one()
    assert response.headers["Location"] == f"/admin/imports/details/?id={run.id}"
    assert (run.status, run.filename) == (
        ImportStatus.WITH_REJECTIONS,
        "sessions.csv",
    ) and run.user_id is not None
    page = text(client.get(response.headers["Location"]))
    assert 'id="count-created">1<' in page and 'id="count-rejected">1<' in page
    session = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.external_ref == "H1"))
    assert f'href="/admin/sessions/details/?id={session.id}"' in page
    assert fr("Go to the session") in page
    rejection = page.split('id="run-rejections"')[1]
    assert "3" in rejection and "H2" in rejection
    assert (
        fr("« %(value)s » is not a time: write 09:00, 9:00, 09:00:00, 09h00 or 9h.", value="25:00")
        in rejection
    )
    listing = text(client.get("/admin/imports/"))
    assert f"/admin/imports/details/?id={run.id}" in listing and "Partenaire HTTP" in listing


def test_the_create_dialog_leads_to_the_import_page(login_as, partner):
    client = login_as(Role.MANAGER)
    response = client.get("/admin/sessions/start/?choice=import")
    assert response.headers["Location"] == "/admin/imports/start/"


def test_upload_without_file_or_partner_says_what_is_missing(login_as, partner, db):
    client = login_as(Role.MANAGER)
    response = client.post(
        "/admin/imports/start/",
        data={"csrf_token": client.csrf, "partner": str(partner.id), "action": "upload"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert fr("Choose the file to import.") in text(response).split('id="file-error"')[1]
    response = upload(client, "not-a-number", FEED.encode())
    assert fr("Choose a partner.") in text(response).split('id="partner-error"')[1]
    response = upload(client, partner.id, b"")
    assert fr("The file is empty.") in text(response).split('id="file-error"')[1]
    assert count_rows(db, ImportRun) == 0


def test_fetching_needs_a_partner_with_a_feed(app, login_as, partner, db, monkeypatch):
    client = login_as(Role.MANAGER)
    response = client.post(
        "/admin/imports/start/",
        data={"csrf_token": client.csrf, "partner": str(partner.id), "action": "fetch"},
    )
    assert fr("This partner has no feed to fetch: choose the file to import.") in text(response)
    monkeypatch.setitem(app.config, "TRAINADMIN_IMPORT_DIR", str(EXAMPLE.parent))
    partner.source_kind, partner.source = FeedSource.PATH, str(EXAMPLE)
    factories.make_training(name="Cybersécurité", reference="NUM-CYBER")
    db.session.commit()
    response = client.post(
        "/admin/imports/start/",
        data={"csrf_token": client.csrf, "partner": str(partner.id), "action": "fetch"},
    )
    run = db.session.scalars(sa.select(ImportRun)).one()
    assert response.headers["Location"] == f"/admin/imports/details/?id={run.id}"
    assert run.filename == "partner-sessions.csv" and run.rejected_count == 2  # unknown lieux, formateurs…


def test_a_file_over_the_size_limit_is_refused(app, login_as, partner, db, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINADMIN_MAX_UPLOAD_MB", 1)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    client = login_as(Role.MANAGER)
    response = upload(client, partner.id, FEED.encode() + b" " * (1024 * 1024))
    assert fr("The file is over the size limit of %(mb)s MB.", mb=1) in text(response)
    assert count_rows(db, ImportRun) == 0


def test_a_second_import_of_a_partner_in_progress_is_refused(login_as, partner, db):
    factories.make_import_run(partner, status=ImportStatus.QUEUED)
    client = login_as(Role.MANAGER)
    response = upload(client, partner.id, FEED.encode())
    assert "Partenaire HTTP" in text(response).split('id="partner-error"')[1]
    assert count_rows(db, ImportRun) == 1


def test_a_viewer_reads_runs_but_cannot_import(login_as, partner, db):
    run = factories.make_import_run(partner, status=ImportStatus.FAILED, error="Le flux est vide.")
    client = login_as(Role.VIEWER)
    page = text(client.get(f"/admin/imports/details/?id={run.id}"))
    assert "Le flux est vide." in page and 'id="rerun"' not in page
    assert 'id="start-import"' not in text(client.get("/admin/imports/"))
    assert client.get("/admin/imports/start/").status_code == 403
    assert upload(client, partner.id, FEED.encode()).status_code == 403
    rerun = client.post("/admin/imports/rerun/", data={"csrf_token": client.csrf, "id": str(run.id)})
    assert rerun.status_code == 403


@pytest.mark.parametrize("run_id", ["abc", "999999", "", "１"])
def test_unknown_runs_are_404(login_as, db, run_id):
    client = login_as(Role.MANAGER)
    assert client.get(f"/admin/imports/details/?id={run_id}").status_code == 404
    response = client.post("/admin/imports/rerun/", data={"csrf_token": client.csrf, "id": run_id})
    assert response.status_code == 404


def test_a_failed_run_can_be_started_again(login_as, partner, db):
    run = factories.make_import_run(
        partner, status=ImportStatus.FAILED, payload=FEED.encode(), error="Interrompu."
    )
    db.session.commit()
    client = login_as(Role.OPS_MANAGER)
    assert 'id="rerun"' in text(client.get(f"/admin/imports/details/?id={run.id}"))
    response = client.post("/admin/imports/rerun/", data={"csrf_token": client.csrf, "id": str(run.id)})
    assert response.headers["Location"] == f"/admin/imports/details/?id={run.id}"
    db.session.refresh(run)
    assert (run.status, run.error, run.created_count, run.rejected_count) == (
        ImportStatus.WITH_REJECTIONS,
        None,
        1,
        1,
    )
    again = client.post("/admin/imports/rerun/", data={"csrf_token": client.csrf, "id": str(run.id)})
    assert fr("Only a failed or stopped import can be started again.") in text(
        client.get(again.headers["Location"])
    )


def test_failed_imports_are_on_the_dashboard(login_as, partner, db):
    client = login_as(Role.MANAGER)
    assert 'id="card-failed_imports"' not in text(client.get("/admin/"))
    factories.make_import_run(partner, status=ImportStatus.FAILED)
    page = text(client.get("/admin/"))
    card = page.split('id="card-failed_imports"')[1].split("</a>")[0]
    assert ">1<" in card
    assert "/admin/imports/?flt0_status_enumequal=FAILED" in page.split('id="card-failed_imports"')[0][-200:]


def test_an_imported_session_says_where_it_comes_from_and_when_it_left_the_feed(login_as, partner, db):
    session = factories.make_session(partner=partner, external_ref="REF-9", missing_from_feed=True)
    from trainadmin.models import Origin

    session.origin = Origin.IMPORTED
    client = login_as(Role.MANAGER)
    page = text(client.get(f"/admin/sessions/details/?id={session.id}"))
    assert 'id="absent-from-feed-box"' in page
    assert "Partenaire HTTP" in page and "REF-9" in page


def test_the_cli_imports_a_file_and_prints_the_counts(app, partner, db):
    runner = app.test_cli_runner()
    path = Path(app.config["TRAINADMIN_STORAGE"]) / "cli.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FEED)
    result = runner.invoke(import_partner_command, ["Partenaire HTTP", str(path)])
    assert result.exit_code == 2, result.output
    assert "Created 1, updated 0, unchanged 0, rejected 1, absent from the feed 0." in result.output
    assert "H2" in result.output
    again = runner.invoke(import_partner_command, ["Partenaire HTTP", str(path)])
    assert "Created 0, updated 0, unchanged 1, rejected 1" in again.output
    unknown = runner.invoke(import_partner_command, ["Personne", str(path)])
    assert unknown.exit_code == 1 and "No partner named 'Personne'." in unknown.output
    no_feed = runner.invoke(import_partner_command, ["Partenaire HTTP"])
    assert no_feed.exit_code == 1


def write_feeds(folder: Path) -> dict[str, Path]:
    """Three files: all imported, some sessions rejected, every session rejected."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"good": FEED_GOOD, "mixed": FEED, "bad": FEED_ALL_BAD}
    for name, content in files.items():
        (folder / f"{name}.csv").write_text(content, encoding="utf-8")
    return {name: folder / f"{name}.csv" for name in files}


def test_the_cli_exit_status_says_how_the_run_ended(app, partner, db):
    files = write_feeds(Path(app.config["TRAINADMIN_STORAGE"]) / "exit-status")
    runner = app.test_cli_runner()  # the command as the app registers it, as `flask` runs it

    good = runner.invoke(args=["import-partner", "Partenaire HTTP", str(files["good"])])
    assert good.exit_code == 0, good.output
    assert ": succeeded. Created 1," in good.output

    mixed = runner.invoke(args=["import-partner", "Partenaire HTTP", str(files["mixed"])])
    assert mixed.exit_code == 2, mixed.output
    assert ": finished with rejections. Created 0, updated 0, unchanged 1, rejected 1," in mixed.output
    assert "Finished with rejections: 1 session(s) rejected (exit status 2)." in mixed.output

    bad = runner.invoke(args=["import-partner", "Partenaire HTTP", str(files["bad"])])
    assert bad.exit_code == 1, bad.output
    assert ": failed. Created 0, updated 0, unchanged 0, rejected 1," in bad.output
    assert "Error: La seule session du fichier a été rejetée : rien n'a été importé." in bad.output
    runs = db.session.scalars(sa.select(ImportRun.status).order_by(ImportRun.id)).all()
    assert runs == [ImportStatus.SUCCEEDED, ImportStatus.WITH_REJECTIONS, ImportStatus.FAILED]


def test_the_flask_command_exits_2_with_rejections_and_1_when_everything_was_rejected(
    app, committed_db, tmp_path
):
    """The real `flask --app app import-partner`, in its own process, on the test database."""
    factories.make_training(name="Sécurité")
    campus = factories.make_named(factories.Location, name="Campus")
    factories.make_room(location=campus, name="Salle A")
    factories.make_trainer(first_name="Claire", last_name="Martin")
    factories.make_partner(name="Partenaire HTTP")
    committed_db.session.commit()
    files = write_feeds(tmp_path / "feeds")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "FLASK_"))}
    env.update(
        DATABASE_URL=committed_db.engine.url.render_as_string(hide_password=False),
        SECRET_KEY="test-secret-key",
        TRAINADMIN_STORAGE=str(tmp_path / "files"),
        TRAINADMIN_LOG_FORMAT="text",
    )
    flask = Path(sys.executable).with_name("flask")

    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(flask), "--app", "app", "import-partner", "Partenaire HTTP", str(files[name])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    mixed = run("mixed")
    assert mixed.returncode == 2, mixed.stderr
    assert "finished with rejections. Created 1, updated 0, unchanged 0, rejected 1" in mixed.stdout
    assert "Finished with rejections: 1 session(s) rejected (exit status 2)." in mixed.stderr
    bad = run("bad")
    assert bad.returncode == 1, bad.stderr
    assert "failed. Created 0" in bad.stdout
    assert "La seule session du fichier a été rejetée : rien n'a été importé." in bad.stderr


def test_the_run_page_the_list_and_the_dashboard_show_how_each_run_ended(login_as, partner, db):
    client = login_as(Role.MANAGER)
    good = upload(client, partner.id, FEED_GOOD.encode(), "bon.csv")
    mixed = upload(client, partner.id, FEED.encode(), "mixte.csv")
    failed = upload(client, partner.id, FEED_ALL_BAD.encode(), "rejets.csv")

    page = text(client.get(good.headers["Location"]))
    assert '<span class="badge badge-success" id="run-status">Réussi</span>' in page
    assert 'id="run-error"' not in page and 'id="run-rejected-note"' not in page
    page = text(client.get(mixed.headers["Location"]))
    assert '<span class="badge badge-warning" id="run-status">Terminé avec rejets</span>' in page
    note = page.split('id="run-rejected-note"')[1].split("</div>")[0]
    assert "1 session du fichier a été rejetée ; les autres ont été importées." in note
    assert 'id="rerun"' not in page
    page = text(client.get(failed.headers["Location"]))
    assert '<span class="badge badge-danger" id="run-status">Échoué</span>' in page
    error = page.split('id="run-error"')[1].split("</div>")[0]
    assert "La seule session du fichier a été rejetée : rien n'a été importé." in error
    assert 'id="rerun"' in page  # once the data is fixed, the same file can be read again

    runs = {run.filename: run.id for run in db.session.scalars(sa.select(ImportRun))}
    listing = text(client.get("/admin/imports/"))
    assert "Terminé avec rejets" in listing and "Échoué" in listing and "Réussi" in listing
    groups = json.loads(listing.split('id="filter-groups-data" class="d-none">')[1].split("</div>")[0])
    [status_filter] = [f for f in groups["Statut"] if f["arg"] == "status_enumequal"]
    assert ["WITH_REJECTIONS", "Terminé avec rejets"] in status_filter["options"]
    assert ["FAILED", "Échoué"] in status_filter["options"]
    only = text(client.get("/admin/imports/?flt0_status_enumequal=WITH_REJECTIONS"))
    assert f'?id={runs["mixte.csv"]}"' in only
    assert f'?id={runs["bon.csv"]}"' not in only and f'?id={runs["rejets.csv"]}"' not in only
    dashboard = text(client.get("/admin/"))
    card = dashboard.split('id="card-failed_imports"')[1].split("</a>")[0]
    assert ">1<" in card  # the run whose every session was rejected; not the one with some rejected
