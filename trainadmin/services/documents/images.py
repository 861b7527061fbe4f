"""Images posted to be printed on the PDFs (the organisation's logo): PNG or JPEG recognised by their
extension and content like every upload, then decoded once, so that a PDF never meets an image it
cannot draw."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext
from PIL import Image

from ..errors import ValidationFailed
from .uploads import FILE_KINDS, Upload, check_file

IMAGE_KINDS = ("png", "jpg", "jpeg")
#: Larger than any logo needs; keeps decoding (and the PDFs) quick.
MAX_SIDE = 5000


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    display_name: str
    width: int
    height: int


def accepted_images_message() -> str:
    return gettext("Accepted files: PNG or JPEG images.")


def check_image(upload: Upload | None, *, limit: int, field: str) -> CheckedImage:
    """A posted PNG or JPEG image of at most `limit` bytes that decodes whole, else
    ValidationFailed({field: message})."""
    data, extension, name = check_file(
        upload, IMAGE_KINDS, limit=limit, accepted=accepted_images_message, field=field
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if max(width, height) > MAX_SIDE:
                    raise ValidationFailed(
                        {field: gettext("The image is larger than %(max)s pixels a side.", max=MAX_SIDE)}
                    )
                image.load()
    except ValidationFailed:
        raise
    except Exception:  # truncated, corrupt or a bomb: Pillow fails in many ways, all mean « unreadable »
        raise ValidationFailed({field: gettext("This image cannot be read: it was refused.")}) from None
    return CheckedImage(data, FILE_KINDS[extension].content_type, name, width, height)
