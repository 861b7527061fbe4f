"""Documents: uploaded files checked by extension and content, stored under TRAINADMIN_STORAGE and
removed with their row once the deletion is committed; images checked for printing; what every PDF
we make shares (the embedded font, paragraphs, the letterhead)."""

from __future__ import annotations

from .images import CheckedImage, accepted_images_message, check_image
from .pdf import (
    Letterhead,
    bind_spaces,
    draw_letterhead,
    location_address,
    new_pdf,
    paragraph,
    pdf_text,
    set_font,
    slot_place,
)
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
from .uploads import ACCEPT, Upload, check_file, check_upload, display_name, is_file_chosen, max_upload_bytes

__all__ = [
    "ACCEPT",
    "STORED_NAME",
    "CheckedImage",
    "Letterhead",
    "Upload",
    "accepted_images_message",
    "bind_spaces",
    "can_download",
    "check_file",
    "check_image",
    "check_upload",
    "copy_document",
    "delete_document",
    "display_name",
    "document_path",
    "document_types",
    "documents_of",
    "draw_letterhead",
    "install",
    "is_file_chosen",
    "location_address",
    "max_upload_bytes",
    "new_pdf",
    "paragraph",
    "pdf_text",
    "purge_files",
    "save_upload",
    "set_font",
    "slot_place",
    "store",
    "stored_path",
]
