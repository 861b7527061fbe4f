"""Documents attached to a session, a demande, a cost, a session's e-mail rule or a global e-mail
template: checked, stored under generated names, removed with their rows.

Nothing the user sends reaches the file system but the bytes: the stored name is a random hex
string plus an extension from our own table, and the original name is only kept (cleaned) for
display. A file written in a transaction that does not commit is removed; the file of a row
deleted (by hand or by a database cascade) is removed once the deletion commits. `purge_files`
sweeps what a crash could still leave behind.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import time
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    Cost,
    Document,
    DocumentType,
    EmailRule,
    EmailTemplate,
    Role,
    TrainingRequest,
    TrainingSession,
    User,
)
from .. import history
from ..errors import ValidationFailed
from ..history import snapshots, values

MIB = 1024 * 1024

OOXML_PARTS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}


def _is_pdf(data: bytes, extension: str) -> bool:
    return data.startswith(b"%PDF-")


def _is_png(data: bytes, extension: str) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(data: bytes, extension: str) -> bool:
    return data.startswith(b"\xff\xd8\xff")


def _zip_members(data: bytes) -> zipfile.ZipFile | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # a malformed archive can fail in many ways: it is simply not the expected file
        return None


def _is_office_open_xml(data: bytes, extension: str) -> bool:
    archive = _zip_members(data)
    if archive is None:
        return False
    names = set(archive.namelist())
    return "[Content_Types].xml" in names and OOXML_PARTS[extension] in names


def _is_open_document(data: bytes, extension: str) -> bool:
    archive = _zip_members(data)
    if archive is None:
        return False
    try:
        member = archive.getinfo("mimetype")
        if member.file_size > 100:
            return False
        declared = archive.read(member).decode("ascii").strip()
    except Exception:  # missing, encrypted, corrupt or not ASCII: not an OpenDocument file
        return False
    return declared == FILE_KINDS[extension].content_type


def _is_text(data: bytes, extension: str) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class FileKind:
    content_type: str
    matches: Callable[[bytes, str], bool]  # does the content match the extension?


#: The only files accepted, by extension; the stored and served content type comes from here.
FILE_KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _is_pdf),
    "png": FileKind("image/png", _is_png),
    "jpg": FileKind("image/jpeg", _is_jpeg),
    "jpeg": FileKind("image/jpeg", _is_jpeg),
    "docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _is_office_open_xml
    ),
    "xlsx": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _is_office_open_xml
    ),
    "pptx": FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", _is_office_open_xml
    ),
    "odt": FileKind("application/vnd.oasis.opendocument.text", _is_open_document),
    "ods": FileKind("application/vnd.oasis.opendocument.spreadsheet", _is_open_document),
    "txt": FileKind("text/plain; charset=utf-8", _is_text),
    "csv": FileKind("text/csv; charset=utf-8", _is_text),
}

#: What the browser's file picker proposes.
ACCEPT = ",".join(f".{extension}" for extension in FILE_KINDS)

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")
TEMP_PREFIX = ".upload-"
MAX_NAME = 200

OWNER_COLUMNS = {
    TrainingSession: Document.session_id,
    TrainingRequest: Document.request_id,
    Cost: Document.cost_id,
    EmailRule: Document.email_rule_id,
    EmailTemplate: Document.email_template_id,
}

#: Who may download: every back-office role may read every session today.
DOWNLOAD_ROLES = frozenset(Role)

_NEW_FILES = "trainadmin.documents.new"
_DOOMED_FILES = "trainadmin.documents.doomed"


class Upload(Protocol):
    """A posted file (werkzeug's FileStorage): only its bytes and its name are used."""

    filename: str | None
    stream: IO[bytes]


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    extension: str
    display_name: str
    document_type_id: int

    @property
    def content_type(self) -> str:
        return FILE_KINDS[self.extension].content_type

    @property
    def stored_extension(self) -> str:
        return "jpg" if self.extension == "jpeg" else self.extension


# --- Names -------------------------------------------------------------------------------


def display_name(name: str | None) -> str:
    """The original name as it may be shown and sent back: the last path part, no control
    characters, no surrounding spaces, at most 200 characters (the extension kept)."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(" " if ch.isspace() else ch for ch in text if not _is_control(ch))
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    if len(text) > MAX_NAME:
        stem, dot, extension = text.rpartition(".")
        if dot and len(extension) <= 10:
            text = stem[: MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:MAX_NAME]
    return text


def _is_control(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch).startswith("C")


def extension_of(name: str) -> str | None:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else None


def storage_root() -> Path:
    return Path(current_app.config["TRAINADMIN_STORAGE"])


def stored_path(stored_name: str) -> Path:
    """Where a stored name lives: `<storage>/<first two characters>/<name>`."""
    if not STORED_NAME.match(stored_name or ""):
        raise ValueError(f"not a stored document name: {stored_name!r}")
    return storage_root() / stored_name[:2] / stored_name


def document_path(document: Document) -> Path:
    return stored_path(document.stored_name)


# --- Checking and storing ----------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(current_app.config["TRAINADMIN_MAX_UPLOAD_MB"]) * MIB


def is_file_chosen(upload: Upload | None) -> bool:
    return upload is not None and bool(getattr(upload, "filename", None))


def accepted_kinds_message() -> str:
    return gettext(
        "Accepted files: PDF, PNG, JPEG, Word, Excel, PowerPoint (docx, xlsx, pptx), "
        "OpenDocument (odt, ods), text and CSV."
    )


def check_upload(upload: Upload | None, document_type_id: int | None) -> CheckedFile:
    """Read and check a posted file without storing anything; every problem at once."""
    errors: dict[str, str] = {}
    if document_type_id is None or db.session.get(DocumentType, document_type_id) is None:
        errors["document_type_id"] = gettext("Choose a document type in the list.")
    if not is_file_chosen(upload):
        errors["file"] = gettext("Choose a file.")
    else:
        name = display_name(upload.filename)
        extension = extension_of(name)
        limit = max_upload_bytes()
        data = upload.stream.read(limit + 1)
        if extension not in FILE_KINDS:
            errors["file"] = gettext("This kind of file is not accepted.") + " " + accepted_kinds_message()
        elif not data:
            errors["file"] = gettext("The file is empty.")
        elif len(data) > limit:
            errors["file"] = gettext(
                "The file is larger than %(max)s MB.", max=current_app.config["TRAINADMIN_MAX_UPLOAD_MB"]
            )
        elif not FILE_KINDS[extension].matches(data, extension):
            errors["file"] = gettext(
                "The content of this file is not a .%(extension)s file: it was refused.", extension=extension
            )
    if errors:
        raise ValidationFailed(errors)
    return CheckedFile(data, extension, name, document_type_id)


def _write_file(data: bytes, extension: str) -> tuple[str, Path]:
    """A new file under a generated name, written to a temporary file then renamed in one step."""
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    path = stored_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return stored_name, path


def store(
    checked: CheckedFile,
    *,
    user: User | None,
    session: TrainingSession | None = None,
    request: TrainingRequest | None = None,
    cost: Cost | None = None,
    email_rule: EmailRule | None = None,
    email_template: EmailTemplate | None = None,
) -> Document:
    """Write a checked file and add its row. The file goes away if the transaction does not commit."""
    owners = [owner for owner in (session, request, cost, email_rule, email_template) if owner is not None]
    if len(owners) != 1 or any(owner.id is None for owner in owners):
        raise ValueError("a document belongs to exactly one saved session, demande, cost, rule or template")
    stored_name, path = _write_file(checked.data, checked.stored_extension)
    _files(_NEW_FILES).add(path)
    document = Document(
        session_id=session.id if session is not None else None,
        request_id=request.id if request is not None else None,
        cost_id=cost.id if cost is not None else None,
        email_rule_id=email_rule.id if email_rule is not None else None,
        email_template_id=email_template.id if email_template is not None else None,
        document_type_id=checked.document_type_id,
        original_name=checked.display_name,
        stored_name=stored_name,
        content_type=checked.content_type,
        size=len(checked.data),
        uploaded_by_id=user.id if user is not None and user.is_authenticated else None,
    )
    db.session.add(document)
    try:
        db.session.flush()
    except BaseException:
        _files(_NEW_FILES).discard(path)
        path.unlink(missing_ok=True)
        raise
    return document


def save_upload(
    upload: Upload | None,
    *,
    document_type_id: int | None,
    user: User | None,
    session: TrainingSession | None = None,
    request: TrainingRequest | None = None,
    cost: Cost | None = None,
    email_rule: EmailRule | None = None,
    email_template: EmailTemplate | None = None,
) -> Document:
    """Check a posted file and store it for its owner; ValidationFailed({"file", "document_type_id"}).
    A file of a session (or of its demandes, costs and e-mails) is written in its history."""
    checked = check_upload(upload, document_type_id)
    document = store(
        checked,
        user=user,
        session=session,
        request=request,
        cost=cost,
        email_rule=email_rule,
        email_template=email_template,
    )
    _record(document, added=True)
    return document


def delete_document(document: Document) -> None:
    """The row goes now; its file once the deletion commits."""
    _record(document, added=False)
    path = document_path(document)
    db.session.delete(document)
    db.session.flush()
    _files(_DOOMED_FILES).add(path)


def copy_document(document: Document, *, user: User | None = None, **owner) -> Document:
    """A copy with a file of its own (deleting one never deletes the other), for another owner."""
    data = document_path(document).read_bytes()
    extension = Path(document.stored_name).suffix.lstrip(".").lower()
    copied = CheckedFile(
        data=data,
        extension="jpeg" if extension == "jpg" else extension,
        display_name=document.original_name,
        document_type_id=document.document_type_id,
    )
    return store(copied, user=user, **owner)


def _record(document: Document, added: bool) -> None:
    """One entry in the history of the session the document belongs to (directly, or through a
    demande, a cost or an e-mail); the global e-mail templates' files have no session."""
    owner = None
    if document.session_id is not None:
        session, owner = db.session.get(TrainingSession, document.session_id), None
    elif document.request_id is not None:
        owner = db.session.get(TrainingRequest, document.request_id)
        session, owner = owner.session, snapshots.participant_target(owner)
    elif document.cost_id is not None:
        owner = db.session.get(Cost, document.cost_id)
        session, owner = owner.session, snapshots.cost_target(owner)
    elif document.email_rule_id is not None:
        owner = db.session.get(EmailRule, document.email_rule_id)
        session, owner = owner.session, snapshots.rule_target(owner)
    else:
        return
    fields = {
        "document_type": values.name(db.session.get(DocumentType, document.document_type_id)),
        "attached_to": values.reference(owner),
    }
    history.record_changes(
        session,
        snapshots.document_target(document),
        None if added else fields,
        fields if added else None,
    )


# --- Reading -----------------------------------------------------------------------------


def documents_of(
    *,
    session_id: int | None = None,
    request_id: int | None = None,
    cost_ids: list[int] | None = None,
    email_rule_ids: list[int] | None = None,
    email_template_ids: list[int] | None = None,
) -> list[Document]:
    """One owner's documents (or those of several costs, rules or templates), oldest first, types and
    uploaders loaded."""
    conditions = []
    if session_id is not None:
        conditions.append(Document.session_id == session_id)
    if request_id is not None:
        conditions.append(Document.request_id == request_id)
    if cost_ids:
        conditions.append(Document.cost_id.in_(cost_ids))
    if email_rule_ids:
        conditions.append(Document.email_rule_id.in_(email_rule_ids))
    if email_template_ids:
        conditions.append(Document.email_template_id.in_(email_template_ids))
    if not conditions:
        return []
    return db.session.scalars(
        sa.select(Document)
        .where(sa.or_(*conditions))
        .options(selectinload(Document.document_type), selectinload(Document.uploaded_by))
        .order_by(Document.uploaded_at, Document.id)
    ).all()


def document_types() -> list[DocumentType]:
    return db.session.scalars(sa.select(DocumentType).order_by(DocumentType.name)).all()


def can_download(user: User | None, document: Document) -> bool:
    """Whoever may read the document's owner: today every back-office role reads every session."""
    return bool(user is not None and user.is_authenticated and user.role in DOWNLOAD_ROLES)


# --- Files follow the transaction --------------------------------------------------------


def _files(key: str) -> set[Path]:
    return db.session.info.setdefault(key, set())


def _unlink(paths) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            current_app.logger.warning("Could not remove %s; `flask purge-files` will.", path)


def _doom_cascaded_files(session: OrmSession, flush_context, instances) -> None:
    """Owners deleted in this flush take their documents with them (database cascade): note the files."""
    deleted: dict[type, list[int]] = {}
    for instance in session.deleted:
        for owner_class in OWNER_COLUMNS:
            if isinstance(instance, owner_class) and instance.id is not None:
                deleted.setdefault(owner_class, []).append(instance.id)
    if not deleted:
        return
    conditions = [OWNER_COLUMNS[owner_class].in_(ids) for owner_class, ids in deleted.items()]
    session_ids = deleted.get(TrainingSession)
    if session_ids:
        for child in (Cost, TrainingRequest, EmailRule):
            conditions.append(
                OWNER_COLUMNS[child].in_(sa.select(child.id).where(child.session_id.in_(session_ids)))
            )
    names = session.scalars(sa.select(Document.stored_name).where(sa.or_(*conditions))).all()
    if names:
        session.info.setdefault(_DOOMED_FILES, set()).update(stored_path(name) for name in names)


def _after_commit(session: OrmSession) -> None:
    session.info.pop(_NEW_FILES, None)
    _unlink(session.info.pop(_DOOMED_FILES, ()))


def _after_transaction_end(session: OrmSession, transaction) -> None:
    """A transaction that ends without committing leaves no new file behind (and deletes none)."""
    if transaction.parent is not None:
        return
    _unlink(session.info.pop(_NEW_FILES, ()))
    session.info.pop(_DOOMED_FILES, None)


def install() -> None:
    for name, listener in (
        ("before_flush", _doom_cascaded_files),
        ("after_commit", _after_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not sa.event.contains(OrmSession, name, listener):
            sa.event.listen(OrmSession, name, listener)


# --- Sweeping ----------------------------------------------------------------------------


def purge_files(grace_seconds: int = 3600, dry_run: bool = False) -> list[Path]:
    """Remove stored files that no row names any more, and abandoned temporary files, older than
    `grace_seconds` (an upload in progress has a file and not yet its row)."""
    root = storage_root()
    if not root.is_dir():
        return []
    known = set(db.session.scalars(sa.select(Document.stored_name)).all())
    limit = time.time() - grace_seconds
    removed = []
    for shard in sorted(root.iterdir()):
        if not shard.is_dir() or not re.fullmatch(r"[0-9a-f]{2}", shard.name):
            continue
        for path in sorted(shard.iterdir()):
            ours = STORED_NAME.match(path.name) and path.name not in known
            abandoned = path.name.startswith(TEMP_PREFIX) and path.name.endswith(".part")
            if not path.is_file() or not (ours or abandoned) or path.stat().st_mtime > limit:
                continue
            if not dry_run:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed
