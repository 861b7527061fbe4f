"""Documents on sessions, demandes and costs: what is stored, where, who gets it back, and that
nothing stays half-saved (no row without its file, no file without its row)."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from datetime import date
from html import unescape
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from trainadmin.models import Cost, Document, Role, TrainingSession
from trainadmin.services.documents import (
    STORED_NAME,
    documents_of,
    purge_files,
    save_upload,
    stored_path,
)
from trainadmin.services.errors import ValidationFailed
from trainadmin.services.sessions.creation import duplicate_session

from . import factories
from .conftest import count_rows, flashed_errors, post_form

PDF = factories.PDF_BYTES
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(60)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def ooxml(main_part: str) -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", main_part: b"<document/>"})


def opendocument(mimetype: str) -> bytes:
    return _zip({"mimetype": mimetype.encode(), "content.xml": b"<office:document-content/>"})


@pytest.fixture(autouse=True)
def english(users, db):
    """Messages are checked in English: they stay true once the French catalogue is filled."""
    for user in users.values():
        user.locale = "en"
    db.session.flush()


@pytest.fixture
def contract(db):
    return factories.make_named(factories.DocumentType, name="Contract")


def files_in(storage) -> list:
    return sorted(path for path in storage.rglob("*") if path.is_file()) if storage.exists() else []


def page(client, url):
    return unescape(client.get(url).get_data(as_text=True))


def multipart(client, url: str, fields: dict, file: tuple[bytes, str] | None):
    """A multipart POST encoded in memory (the test client would spool a big body to a file it
    never closes)."""
    values = {"csrf_token": client.csrf, **fields}
    if file is not None:
        values["file"] = FileStorage(io.BytesIO(file[0]), file[1], content_type="application/octet-stream")
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload(client, owner: str, owner_id, document_type, data: bytes, name: str, **extra):
    fields = {
        "owner": owner,
        "owner_id": str(owner_id),
        "document_type_id": str(document_type.id) if document_type else "",
        **extra,
    }
    return multipart(client, "/admin/documents/upload/", fields, (data, name))


def shown_errors(client, response) -> str:
    assert response.status_code == 302
    return " ".join(flashed_errors(page(client, response.headers["Location"])))


def upload_file(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


# --- Upload and download -------------------------------------------------------------------


def test_upload_then_download_gives_back_the_same_bytes(manager, db, storage, contract):
    session = factories.make_session()
    tab = f"/admin/sessions/details/?id={session.id}&tab=documents"
    assert "No documents" in page(manager, tab)

    response = upload(manager, "session", session.id, contract, PDF, "Convention signée.pdf", next=tab)
    assert response.status_code == 302 and response.headers["Location"] == tab
    document = db.session.scalars(sa.select(Document)).one()
    assert (document.session_id, document.document_type, document.original_name) == (
        session.id,
        contract,
        "Convention signée.pdf",
    )
    assert document.content_type == "application/pdf" and document.size == len(PDF)

    [stored] = files_in(storage)
    assert STORED_NAME.match(stored.name) and stored.name == document.stored_name
    assert stored.parent.parent == storage and stored.parent.name == stored.name[:2]
    assert stored.read_bytes() == PDF

    shown = page(manager, tab)
    assert "Convention signée.pdf" in shown and "Contract" in shown and "Document saved." in shown
    download_url = f"/admin/documents/{document.id}/download"
    assert download_url in shown

    response = manager.get(download_url)
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("Convention signée.pdf") in disposition


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (PNG, "photo.PNG", "image/png"),
        (JPEG, "photo.jpeg", "image/jpeg"),
        (ooxml("word/document.xml"), "programme.docx", "wordprocessingml.document"),
        (ooxml("xl/workbook.xml"), "budget.xlsx", "spreadsheetml.sheet"),
        (ooxml("ppt/presentation.xml"), "support.pptx", "presentationml.presentation"),
        (opendocument("application/vnd.oasis.opendocument.text"), "cr.odt", "opendocument.text"),
        (
            opendocument("application/vnd.oasis.opendocument.spreadsheet"),
            "notes.ods",
            "opendocument.spreadsheet",
        ),
        ("Nom;Prénom\nDurand;Paul\n".encode(), "émargement.csv", "text/csv"),
        (b"Plain notes\n", "notes.txt", "text/plain"),
    ],
)
def test_every_accepted_kind_is_stored_with_our_content_type(db, storage, contract, data, name, content_type):
    document = save_upload(
        FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/x-msdownload"),
        document_type_id=contract.id,
        user=None,
        session=factories.make_session(),
    )
    assert content_type in document.content_type
    assert stored_path(document.stored_name).read_bytes() == data
    assert document.stored_name.rsplit(".", 1)[1] in {
        "png",
        "jpg",
        "docx",
        "xlsx",
        "pptx",
        "odt",
        "ods",
        "csv",
        "txt",
    }


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (EXE, "facture.pdf", "The content of this file is not a .pdf file"),
        (EXE, "outil.exe", "This kind of file is not accepted."),
        (PDF, "README", "This kind of file is not accepted."),
        (PDF, "facture.pdf.exe", "This kind of file is not accepted."),
        (b"", "vide.pdf", "The file is empty."),
        (PDF, "programme.docx", "The content of this file is not a .docx file"),
        (
            _zip({"word/document.xml": b"<x/>"}),
            "programme.docx",
            "The content of this file is not a .docx file",
        ),
        (ooxml("xl/workbook.xml"), "programme.docx", "The content of this file is not a .docx file"),
        (_zip({"mimetype": b"application/zip"}), "cr.odt", "The content of this file is not a .odt file"),
        (b"PK\x03\x04 not really a zip", "budget.xlsx", "The content of this file is not a .xlsx file"),
        (b"name\x00;value", "data.csv", "The content of this file is not a .csv file"),
        ("caf\xe9".encode("latin-1"), "notes.txt", "The content of this file is not a .txt file"),
        (PNG, "photo.jpg", "The content of this file is not a .jpg file"),
    ],
)
def test_refused_files_leave_nothing(manager, db, storage, contract, data, name, message):
    session = factories.make_session()
    response = upload(manager, "session", session.id, contract, data, name)
    assert message in shown_errors(manager, response)
    assert count_rows(db, Document) == 0
    assert files_in(storage) == []


def test_no_file_and_unknown_document_type_are_both_told(manager, db, storage, contract):
    session = factories.make_session()
    response = manager.post(
        "/admin/documents/upload/",
        data={
            "csrf_token": manager.csrf,
            "owner": "session",
            "owner_id": str(session.id),
            "document_type_id": "999999",
        },
    )
    shown = shown_errors(manager, response)
    assert "Choose a file." in shown and "Choose a document type in the list." in shown
    response = upload(manager, "session", session.id, None, PDF, "convention.pdf")
    assert "Choose a document type in the list." in shown_errors(manager, response)
    assert count_rows(db, Document) == 0 and files_in(storage) == []


@pytest.mark.parametrize(
    ("name", "shown_as"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("../../../../../../tmp/" + "a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_names_from_the_user_never_reach_the_file_system(
    manager, db, storage, contract, tmp_path, name, shown_as
):
    session = factories.make_session()
    response = upload(manager, "session", session.id, contract, PDF, name)
    assert response.status_code == 302
    document = db.session.scalars(sa.select(Document)).one()
    assert document.original_name == shown_as
    [stored] = files_in(storage)
    assert STORED_NAME.match(stored.name) and stored.resolve().is_relative_to(storage.resolve())
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == [stored]
    assert not os.path.exists("/etc/passwd.pdf")
    disposition = manager.get(f"/admin/documents/{document.id}/download").headers["Content-Disposition"]
    assert "/" not in disposition and "\\" not in disposition and shown_as in disposition


@pytest.mark.parametrize(
    ("name", "shown_as"),
    [
        ("rapport\x00.pdf", "rapport.pdf"),
        ("C:\\Users\\paul\\..\\system.pdf", "system.pdf"),
        ("rapport\r\nSet-Cookie: x=1.pdf", "rapport Set-Cookie: x=1.pdf"),
        ("\u202efdp.exe", None),  # right-to-left override: the real extension is .exe
        ("rapport.pdf\x00.exe", None),
    ],
)
def test_names_lose_their_folders_and_control_characters(db, storage, contract, name, shown_as):
    owner = {"session": factories.make_session()}
    if shown_as is None:
        with pytest.raises(ValidationFailed) as refused:
            save_upload(upload_file(PDF, name), document_type_id=contract.id, user=None, **owner)
        assert "file" in refused.value.errors and files_in(storage) == []
        return
    document = save_upload(upload_file(PDF, name), document_type_id=contract.id, user=None, **owner)
    assert document.original_name == shown_as
    assert [path.name for path in files_in(storage)] == [document.stored_name]


def test_a_file_over_the_limit_is_refused_with_the_limit(manager, db, storage, contract, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINADMIN_MAX_UPLOAD_MB", 1)
    session = factories.make_session()
    response = upload(manager, "session", session.id, contract, PDF + b" " * (1024 * 1024), "gros.pdf")
    assert "The file is larger than 1 MB." in shown_errors(manager, response)
    assert count_rows(db, Document) == 0 and files_in(storage) == []
    response = upload(
        manager, "session", session.id, contract, PDF + b" " * (1024 * 1024 - len(PDF)), "juste.pdf"
    )
    assert response.status_code == 302 and count_rows(db, Document) == 1


def test_a_request_over_the_limit_gets_a_clear_page_not_an_error(
    manager, db, storage, contract, app, monkeypatch
):
    monkeypatch.setitem(app.config, "TRAINADMIN_MAX_UPLOAD_MB", 1)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    session = factories.make_session()
    response = upload(manager, "session", session.id, contract, PDF + b" " * (3 * 1024 * 1024), "énorme.pdf")
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "File too large" in text and "larger than the limit of 1 MB per file" in text
    assert count_rows(db, Document) == 0 and files_in(storage) == []


# --- Owners and roles ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        {"owner": "training"},
        {"owner": "session", "owner_id": "999999"},
        {"owner": "session", "owner_id": "x"},
    ],
)
def test_unknown_owner_is_not_found(manager, db, storage, contract, form):
    session = factories.make_session()
    data = {"owner_id": str(session.id), **form}
    response = upload(manager, data.pop("owner"), data.pop("owner_id"), contract, PDF, "convention.pdf")
    assert response.status_code == 404
    assert count_rows(db, Document) == 0 and files_in(storage) == []


def test_a_demande_and_a_cost_take_documents_too(manager, db, storage, contract):
    session = factories.make_session()
    demande = factories.enrol(session)
    cost = Cost(session=session, cost_type=factories.make_named(factories.CostType), amount=100)
    db.session.add(cost)
    db.session.flush()
    response = upload(manager, "request", demande.id, contract, PDF, "attestation.pdf")
    assert response.headers["Location"] == f"/admin/demandes/details/?id={demande.id}&tab=documents"
    shown = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "attestation.pdf" in shown
    response = upload(manager, "cost", cost.id, contract, PDF, "facture.pdf")
    assert response.headers["Location"] == f"/admin/sessions/details/?id={session.id}&tab=costs"
    assert [d.original_name for d in documents_of(request_id=demande.id)] == ["attestation.pdf"]
    assert [d.original_name for d in documents_of(cost_ids=[cost.id])] == ["facture.pdf"]
    assert documents_of(session_id=session.id) == []


def test_next_must_be_a_page_of_this_site(manager, db, storage, contract):
    session = factories.make_session()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = upload(manager, "session", session.id, contract, PDF, "convention.pdf", next=target)
        assert response.headers["Location"] == f"/admin/sessions/details/?id={session.id}&tab=documents"


def test_viewer_reads_but_cannot_upload_or_delete(login_as, db, storage, contract):
    viewer = login_as(Role.VIEWER)
    document = factories.make_document(document_type=contract)
    db.session.commit()
    tab = page(viewer, f"/admin/sessions/details/?id={document.session_id}&tab=documents")
    assert "convention.pdf" in tab and "documents/upload" not in tab and "/delete" not in tab
    assert upload(viewer, "session", document.session_id, contract, PDF, "autre.pdf").status_code == 403
    response = post_form(viewer, f"/admin/documents/{document.id}/delete", {})
    assert response.status_code == 403
    assert count_rows(db, Document) == 1 and len(files_in(storage)) == 1


@pytest.mark.parametrize("role", list(Role))
def test_every_role_downloads(login_as, db, storage, role):
    document = factories.make_document()
    response = login_as(role).get(f"/admin/documents/{document.id}/download")
    assert response.status_code == 200 and response.get_data() == PDF


def test_anonymous_users_are_sent_to_the_login_page(app, db, storage):
    document = factories.make_document()
    response = app.test_client().get(f"/admin/documents/{document.id}/download")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_missing_document_or_file_is_not_found(manager, db, storage):
    assert manager.get("/admin/documents/999999/download").status_code == 404
    document = factories.make_document()
    stored_path(document.stored_name).unlink()
    assert manager.get(f"/admin/documents/{document.id}/download").status_code == 404


def test_the_documents_view_is_not_in_the_menu(manager, db):
    assert "/admin/documents/" not in page(manager, "/admin/")
    assert manager.get("/admin/documents/").status_code == 404


# --- Deletion and what follows the transaction ---------------------------------------------


def test_delete_a_document(manager, db, storage):
    document = factories.make_document()
    db.session.commit()
    path = stored_path(document.stored_name)
    session_id = document.session_id
    response = post_form(manager, f"/admin/documents/{document.id}/delete", {})
    assert response.headers["Location"] == f"/admin/sessions/details/?id={session_id}&tab=documents"
    assert count_rows(db, Document) == 0
    assert not path.exists()
    assert "Document deleted." in page(manager, response.headers["Location"])


def test_an_upload_rolled_back_leaves_no_file(db, storage, contract):
    session = factories.make_session()
    db.session.commit()
    document = save_upload(
        upload_file(PDF, "convention.pdf"), document_type_id=contract.id, user=None, session=session
    )
    assert stored_path(document.stored_name).exists()
    db.session.rollback()
    assert files_in(storage) == [] and count_rows(db, Document) == 0


def test_a_failed_flush_leaves_no_file(db, storage, contract, monkeypatch):
    from trainadmin.services.documents import storage as service

    session = factories.make_session()
    existing = save_upload(
        upload_file(PDF, "a.pdf"), document_type_id=contract.id, user=None, session=session
    )
    db.session.commit()
    write = service._write_file

    def write_and_name_it_like_the_other(data, extension):
        stored_name, path = write(data, extension)
        return existing.stored_name, path  # the stored name is unique: the row cannot be saved

    monkeypatch.setattr(service, "_write_file", write_and_name_it_like_the_other)
    with pytest.raises(sa.exc.IntegrityError):
        save_upload(upload_file(PDF, "b.pdf"), document_type_id=contract.id, user=None, session=session)
    db.session.rollback()
    assert [path.name for path in files_in(storage)] == [existing.stored_name]


def test_deleted_costs_and_sessions_take_their_files_along(manager, db, storage, contract):
    session = factories.make_session()
    cost = Cost(session=session, cost_type=factories.make_named(factories.CostType), amount=10)
    db.session.add(cost)
    db.session.flush()
    on_cost = stored_path(factories.make_document(cost=cost, document_type=contract).stored_name)
    on_session = stored_path(factories.make_document(session=session, document_type=contract).stored_name)
    demande = factories.enrol(session)
    on_demande = stored_path(factories.make_document(request=demande, document_type=contract).stored_name)
    other = factories.make_document(document_type=contract)
    delete_url = f"/admin/sessions/cost/delete/?id={session.id}&cost={cost.id}"
    session_id = session.id
    db.session.commit()
    assert len(files_in(storage)) == 4

    post_form(manager, delete_url, {})
    assert not on_cost.exists()
    assert count_rows(db, Document) == 3

    db.session.delete(db.session.get(TrainingSession, session_id))
    db.session.flush()
    assert on_session.exists() and on_demande.exists()  # not before the deletion commits
    db.session.rollback()
    assert len(files_in(storage)) == 3 and count_rows(db, Document) == 3

    db.session.delete(db.session.get(TrainingSession, session_id))
    db.session.commit()
    assert [path.name for path in files_in(storage)] == [other.stored_name]
    assert db.session.scalars(sa.select(Document.id)).all() == [other.id]


def test_purge_files_removes_only_old_files_no_row_names(app, db, storage):
    kept = factories.make_document()
    orphan = factories.make_document()
    db.session.commit()
    orphan_path = stored_path(orphan.stored_name)
    db.session.execute(sa.delete(Document).where(Document.id == orphan.id))  # no ORM: no hook sees it
    db.session.commit()
    young = stored_path("ffff" + orphan.stored_name[4:])
    young.parent.mkdir(parents=True, exist_ok=True)
    young.write_bytes(PDF)
    abandoned = orphan_path.parent / ".upload-abc123.part"
    abandoned.write_bytes(b"half")
    unrelated = storage / "README.txt"
    unrelated.write_text("kept")
    hour_ago = time.time() - 7200
    for path in (orphan_path, abandoned, stored_path(kept.stored_name), unrelated):
        os.utime(path, (hour_ago, hour_ago))

    result = app.test_cli_runner().invoke(args=["purge-files", "--dry-run"])
    assert result.exit_code == 0 and "2 file(s) would be removed." in result.output
    assert orphan_path.exists()
    result = app.test_cli_runner().invoke(args=["purge-files"])
    assert result.exit_code == 0 and "2 file(s) removed." in result.output
    assert not orphan_path.exists() and not abandoned.exists()
    assert stored_path(kept.stored_name).exists() and young.exists() and unrelated.exists()
    assert purge_files(grace_seconds=0) == [young]


def test_a_duplicated_session_has_no_documents(db, storage):
    document = factories.make_document()
    source = db.session.get(TrainingSession, document.session_id)
    copy = duplicate_session(source, 2028, date(2028, 3, 1), date(2028, 3, 2))
    assert documents_of(session_id=copy.id) == []
    assert count_rows(db, Document) == 1 and len(files_in(storage)) == 1


# --- Costs with their files ----------------------------------------------------------------


def cost_form(cost_type, **extra):
    return {"cost_type_id": str(cost_type.id), "amount": "1200", "split": "global", **extra}


def post_cost(client, session, data, file=None):
    return multipart(client, f"/admin/sessions/cost/add/?id={session.id}", data, file)


def test_a_cost_is_saved_with_its_file(manager, db, storage, contract):
    session = factories.make_session()
    cost_type = factories.make_named(factories.CostType, name="Animation")
    chosen = page(manager, f"/admin/sessions/details/?id={session.id}&tab=costs&cost_type={cost_type.id}")
    assert re.search(r'<form[^>]*enctype="multipart/form-data"[^>]*id="cost-form"', chosen)
    response = post_cost(
        manager, session, cost_form(cost_type, document_type_id=str(contract.id)), (PDF, "facture.pdf")
    )
    assert response.status_code == 302
    cost = db.session.scalars(sa.select(Cost)).one()
    [document] = documents_of(cost_ids=[cost.id])
    assert document.original_name == "facture.pdf" and document.document_type == contract
    row = page(manager, f"/admin/sessions/details/?id={session.id}&tab=costs").split(
        f'id="cost-{cost.id}-attachments"'
    )[1]
    assert f"/admin/documents/{document.id}/download" in row.split("</td>")[0]

    upload(manager, "cost", cost.id, contract, PNG, "devis.png")
    row = page(manager, f"/admin/sessions/details/?id={session.id}&tab=costs").split(
        f'id="cost-{cost.id}-attachments"'
    )[1]
    assert "facture.pdf" in row.split("</td>")[0] and "devis.png" in row.split("</td>")[0]


def test_a_cost_without_a_file_needs_no_document_type(manager, db, storage):
    session = factories.make_session()
    response = post_cost(manager, session, cost_form(factories.make_named(factories.CostType)))
    assert response.status_code == 302 and count_rows(db, Cost) == 1 and count_rows(db, Document) == 0


@pytest.mark.parametrize(
    ("data", "file", "messages"),
    [
        ({}, (EXE, "facture.pdf"), ["The content of this file is not a .pdf file"]),
        ({"document_type_id": ""}, (PDF, "facture.pdf"), ["Choose a document type in the list."]),
        ({"amount": "-5"}, (PDF, "facture.pdf"), ["Enter an amount between 0"]),
        ({"amount": "-5"}, (b"", "facture.pdf"), ["Enter an amount between 0", "The file is empty."]),
    ],
)
def test_a_cost_and_its_file_are_saved_together_or_not_at_all(
    manager, db, storage, contract, data, file, messages
):
    session = factories.make_session()
    cost_type = factories.make_named(factories.CostType)
    response = post_cost(
        manager, session, cost_form(cost_type, **{"document_type_id": str(contract.id), **data}), file
    )
    shown = shown_errors(manager, response)
    for message in messages:
        assert message in shown
    assert count_rows(db, Cost) == 0 and count_rows(db, Document) == 0 and files_in(storage) == []


def test_the_costs_tab_queries_do_not_grow_with_the_costs(manager, db, storage, contract, count_queries):
    session = factories.make_session()
    cost_type = factories.make_named(factories.CostType)

    def add_costs(number):
        for _ in range(number):
            cost = Cost(
                session=session,
                cost_type=cost_type,
                amount=10,
                supplier=factories.make_named(factories.Supplier),
            )
            db.session.add(cost)
            db.session.flush()
            factories.make_document(cost=cost, document_type=contract, user=None)

    url = f"/admin/sessions/details/?id={session.id}&tab=costs"
    add_costs(1)
    with count_queries() as few:
        assert manager.get(url).status_code == 200
    add_costs(29)
    with count_queries() as many:
        shown = page(manager, url)
    assert shown.count("/download") == 30
    assert many.count == few.count, f"{few.count} queries for 1 cost, {many.count} for 30"


def test_the_session_page_has_a_documents_tab_before_the_history(manager, db):
    session = factories.make_session()
    shown = page(manager, f"/admin/sessions/details/?id={session.id}")
    tabs = re.findall(r'data-tab="(\w+)"', shown)
    assert tabs[-2:] == ["documents", "history"]
