"""Documents attached to a session, a demande, a cost, a session's e-mail rule or a global e-mail
template: checked, stored under generated names, removed with their rows.

Nothing the user sends reaches the file system but the bytes: the stored name is a random hex
string plus an extension from our own table, and the original name is only kept (cleaned) for
display. A file written in a transaction that does not commit is removed; the file of a row
deleted (by hand or by a database cascade) is removed once the deletion commits.

Here storing, deleting, copying and listing documents; the checks of a posted file are in
`uploads.py`, where files live and how they follow the transaction in `stored_files.py`.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
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
from ..history import snapshots, values
from .stored_files import TEMP_PREFIX, document_path, doomed_files, new_files, stored_path
from .uploads import CheckedFile, Upload, check_upload

#: Who may download: every back-office role may read every session today.
DOWNLOAD_ROLES = frozenset(Role)


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
    new_files().add(path)
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
        new_files().discard(path)
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
    doomed_files().add(path)


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
