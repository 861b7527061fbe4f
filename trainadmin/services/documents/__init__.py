"""Documents: uploaded files checked by extension and content, stored under TRAINADMIN_STORAGE and
removed with their row once the deletion is committed; the text helpers of the PDFs we make."""

from __future__ import annotations

from .pdf import pdf_text, slot_place
from .storage import (
    can_download,
    copy_document,
    delete_document,
    document_types,
    documents_of,
    save_upload,
    store,
)
from .stored_files import STORED_NAME, document_path, install, purge_files, stored_path
from .uploads import ACCEPT, Upload, check_upload, display_name, is_file_chosen

__all__ = [
    "ACCEPT",
    "STORED_NAME",
    "Upload",
    "can_download",
    "check_upload",
    "copy_document",
    "delete_document",
    "display_name",
    "document_path",
    "document_types",
    "documents_of",
    "install",
    "is_file_chosen",
    "pdf_text",
    "purge_files",
    "save_upload",
    "slot_place",
    "store",
    "stored_path",
]
