"""Images attached to a consultation: checked by their content (Pillow), never by the declared
type, and kept in the database so every server process can serve them."""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.consult.service import joinable_consultation
from gpassist.consult.states import OPEN_FOR_MESSAGES
from gpassist.consult.tables import ConsultAttachment
from gpassist.db import utcnow
from gpassist.errors import Conflict, InvalidField, NotFound, Problem

# What browsers display and phones produce; TIFF, BMP, SVG (scriptable) and the rest are refused.
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
ACCEPTED = "JPEG, PNG, WebP or GIF"
# A photo from any phone is well under this; more pixels than this is a decompression bomb.
MAX_PIXELS = 50_000_000
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


class TooLarge(Problem):
    """An upload larger than the size limit (413)."""

    status = 413
    slug = "too-large"
    title = "The upload is too large"
    title_zh = "上传的内容太大"


def too_large_zh(limit: int) -> str:
    """The refusal of a too-large file, with the limit in the unit a doctor knows."""
    size = f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit / 1000:g} KB"
    return f"文件太大，附件最大 {size}。请拍摄或选择一张较小的照片。"


@dataclass(frozen=True)
class CheckedImage:
    """An upload that is really a PNG or JPEG image: its media type and size in pixels."""

    media_type: str
    width: int
    height: int


def check_image(data: bytes, max_bytes: int) -> CheckedImage:
    """The image's real type and size, or a problem naming the body."""
    if len(data) > max_bytes:
        raise TooLarge(
            f"An attachment may be at most {max_bytes} bytes; this is {len(data)}.",
            detail_zh=too_large_zh(max_bytes),
        )
    if not data:
        raise InvalidField.at(
            "body", "The upload is empty.", zh="上传的文件是空的，请重新选择照片。"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(f"{width}×{height}")
                image.verify()  # reads the whole file: a truncated or corrupt image fails here
    except TooLarge:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow refuses at open, from the declared size alone: a few bytes can declare
        # gigapixels. That is an image too large to take, not something that is not an image.
        raise _too_many_pixels("far more") from None
    except UnidentifiedImageError:
        raise InvalidField.at(
            "body",
            f"The upload is not an image ({ACCEPTED}).",
            zh="上传的文件不是图片，只能发送 PNG 或 JPEG 照片。",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidField.at(
            "body",
            f"The image is damaged: {type(exc).__name__}.",
            zh="图片已损坏或不完整，请重新拍摄或选择照片。",
        ) from None
    if kind not in MEDIA_TYPES:
        raise InvalidField.at(
            "body",
            f"{kind} images are not accepted; send {ACCEPTED}.",
            zh=f"不接受 {kind} 格式的图片，只能发送 PNG 或 JPEG 照片。",
        )
    return CheckedImage(MEDIA_TYPES[kind], width, height)


def _too_many_pixels(declared: str) -> TooLarge:
    message = (
        f"The image declares {declared} pixels; at most {MAX_PIXELS:,} are accepted. Send a "
        "smaller photo."
    )
    zh = "图片像素过多，请发送较小的照片。"
    error = {"field": "body", "message": message, "message_zh": zh, "code": "too_many_pixels"}
    return TooLarge(message, detail_zh=zh, errors=[error])


def safe_filename(name: str | None, media_type: str) -> str:
    """A stored file name made from the client's: no folders or odd characters, the
    extension of the real media type.
    """
    extension = media_type.split("/")[1].replace("jpeg", "jpg")
    stem = _SAFE_NAME.sub("_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("._")
    stem = stem.rsplit(".", 1)[0][:100] or "image"
    return f"{stem}.{extension}"


def store_attachment(
    session: Session,
    user: User,
    consultation_id: int,
    data: bytes,
    filename: str | None,
    *,
    max_bytes: int,
) -> ConsultAttachment:
    """Keep an image for a consultation; a chat message then cites it by id."""
    consultation = joinable_consultation(session, user, consultation_id)
    if consultation.state not in OPEN_FOR_MESSAGES:
        raise Conflict(
            f"Consultation {consultation.id} is {consultation.state.value}.",
            detail_zh=f"这次会诊{consultation.state.zh}，不能再上传图片。",
        )
    checked = check_image(data, max_bytes)
    attachment = ConsultAttachment(
        consultation_id=consultation.id,
        uploaded_by_id=user.id,
        media_type=checked.media_type,
        filename=safe_filename(filename, checked.media_type),
        size=len(data),
        width=checked.width,
        height=checked.height,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_at=utcnow(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def attachment_for(
    session: Session, user: User, consultation_id: int, attachment_id: int
) -> ConsultAttachment:
    """An attachment of a consultation ``user`` may take part in; raises ``NotFound`` (also
    for another consultation's attachment) or ``Forbidden``.
    """
    joinable_consultation(session, user, consultation_id)
    attachment = session.get(ConsultAttachment, attachment_id)
    if attachment is None or attachment.consultation_id != consultation_id:
        raise NotFound(
            f"No attachment {attachment_id}.", detail_zh="这次会诊中没有这个附件，或它已不可查看。"
        )
    return attachment
