"""Where stored files live (`<storage>/<ab>/<hex name>`), and how they follow the transaction:
a new file goes if the transaction does not commit, a deleted row's file once the deletion commits;
`purge_files` sweeps what a crash could still leave behind."""

from __future__ import annotations

import re
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session as OrmSession

from ...extensions import db
from ...models import Cost, Document, EmailRule, EmailTemplate, TrainingRequest, TrainingSession

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")
TEMP_PREFIX = ".upload-"

OWNER_COLUMNS = {
    TrainingSession: Document.session_id,
    TrainingRequest: Document.request_id,
    Cost: Document.cost_id,
    EmailRule: Document.email_rule_id,
    EmailTemplate: Document.email_template_id,
}


_NEW_FILES = "trainadmin.documents.new"
_DOOMED_FILES = "trainadmin.documents.doomed"


def storage_root() -> Path:
    return Path(current_app.config["TRAINADMIN_STORAGE"])


def stored_path(stored_name: str) -> Path:
    """Where a stored name lives: `<storage>/<first two characters>/<name>`."""
    if not STORED_NAME.match(stored_name or ""):
        raise ValueError(f"not a stored document name: {stored_name!r}")
    return storage_root() / stored_name[:2] / stored_name


def document_path(document: Document) -> Path:
    return stored_path(document.stored_name)


# --- Files follow the transaction --------------------------------------------------------


def _files(key: str) -> set[Path]:
    return db.session.info.setdefault(key, set())


def new_files() -> set[Path]:
    """Files written in this transaction: removed if it does not commit."""
    return _files(_NEW_FILES)


def doomed_files() -> set[Path]:
    """Files of rows deleted in this transaction: removed once it commits."""
    return _files(_DOOMED_FILES)


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
