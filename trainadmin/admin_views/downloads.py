"""Files the back office makes for download (convocation, feuille d'émargement): one way to name them."""

from __future__ import annotations

from flask import Response
from werkzeug.utils import secure_filename


def attachment_headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={secure_filename(filename)}"}


def pdf_download(pdf: bytes, filename: str) -> Response:
    return Response(pdf, mimetype="application/pdf", headers=attachment_headers(filename))
