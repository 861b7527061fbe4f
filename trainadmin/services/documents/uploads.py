"""A posted file checked before anything is stored: only the kinds of our own table, recognised
by their extension and their content, within the size limit, under a cleaned display name."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import IO, Protocol

from flask import current_app
from flask_babel import gettext

from ...extensions import db
from ...models import DocumentType
from ..errors import ValidationFailed

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

MAX_NAME = 200


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


def max_upload_bytes() -> int:
    return int(current_app.config["TRAINADMIN_MAX_UPLOAD_MB"]) * MIB


def is_file_chosen(upload: Upload | None) -> bool:
    return upload is not None and bool(getattr(upload, "filename", None))


def accepted_kinds_message() -> str:
    return gettext(
        "Accepted files: PDF, PNG, JPEG, Word, Excel, PowerPoint (docx, xlsx, pptx), "
        "OpenDocument (odt, ods), text and CSV."
    )


def check_file(
    upload: Upload | None,
    kinds: Collection[str],
    *,
    limit: int,
    accepted: Callable[[], str],
    field: str = "file",
) -> tuple[bytes, str, str]:
    """Read a posted file of one of `kinds` (extensions of FILE_KINDS), at most `limit` bytes, its
    content matching its extension: (data, extension, display name), or ValidationFailed({field})."""
    if not is_file_chosen(upload):
        raise ValidationFailed({field: gettext("Choose a file.")})
    name = display_name(upload.filename)
    extension = extension_of(name)
    data = upload.stream.read(limit + 1)
    if extension not in kinds:
        message = gettext("This kind of file is not accepted.") + " " + accepted()
    elif not data:
        message = gettext("The file is empty.")
    elif len(data) > limit:
        message = gettext("The file is larger than %(max)s MB.", max=_megabytes(limit))
    elif not FILE_KINDS[extension].matches(data, extension):
        message = gettext(
            "The content of this file is not a .%(extension)s file: it was refused.", extension=extension
        )
    else:
        return data, extension, name
    raise ValidationFailed({field: message})


def _megabytes(limit: int) -> str:
    megabytes = limit / MIB
    return str(int(megabytes)) if megabytes == int(megabytes) else f"{megabytes:.1f}"


def check_upload(upload: Upload | None, document_type_id: int | None) -> CheckedFile:
    """Read and check a posted file without storing anything; every problem at once."""
    errors: dict[str, str] = {}
    if document_type_id is None or db.session.get(DocumentType, document_type_id) is None:
        errors["document_type_id"] = gettext("Choose a document type in the list.")
    try:
        data, extension, name = check_file(
            upload, FILE_KINDS, limit=max_upload_bytes(), accepted=accepted_kinds_message
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return CheckedFile(data, extension, name, document_type_id)
