"""« Documents »: the session's files with their document type (uploaded and deleted through the
documents view, which every attachment shares)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ...models import TrainingSession
from ...services.documents import document_types, documents_of
from .part import SessionTab


class DocumentsTab(SessionTab):
    name = "documents"
    label = _l("Documents")

    def context(self, session: TrainingSession) -> dict:
        return {
            "documents": documents_of(session_id=session.id),
            "document_types": document_types(),
            "documents_back_url": self.url(".details_view", id=session.id, tab="documents"),
        }
