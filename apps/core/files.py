"""Upload validation by content, never by name or client-declared type.

Images are decoded by Pillow (format allow-list, pixel cap, decompression bombs refused, SVG never
accepted). Videos and PDFs are recognised by their container structure, not by their first bytes
(``ftyp`` followed by HTML used to pass as MP4, ``%PDF-`` followed by HTML as PDF):

* MP4/MOV (ISO-BMFF): the top-level boxes tile the file exactly, ``ftyp`` first, every box type is
  four printable characters, and a ``moov`` box is present;
* WebM: an EBML header whose DocType is ``webm``, followed by a Segment element;
* PDF: ``%PDF-1.x``/``2.x`` at the start, ``startxref <offset> %%EOF`` at the end, and the offset
  points at an ``xref`` table or an xref stream object.

A file can still be valid as two formats at once (a polyglot); that is why everything but images is
served with ``Content-Disposition: attachment`` (:func:`served_inline`). Stored names are generated
by the server so a client never chooses a path.
"""

from __future__ import annotations

import re
import uuid
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from apps.core.exceptions import FileTooLarge, ValidationFailed

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}

#: Extensions of the server-made names of images: the only uploads a browser may show inline.
INLINE_EXTENSIONS = frozenset(ext for _, ext in IMAGE_FORMATS.values())


def served_inline(name: str) -> bool:
    """Whether a stored file may be shown in the browser (images) rather than downloaded
    (``Content-Disposition: attachment``: PDFs, videos, anything stored before names were ours)."""
    return name.rsplit(".", 1)[-1].lower() in INLINE_EXTENSIONS if "." in name else False


def _read_at(upload: Any, offset: int, length: int) -> bytes:
    upload.seek(offset)
    return bytes(upload.read(length))


_MAX_TOP_LEVEL_BOXES = 10_000


def _is_mp4(upload: Any, size: int) -> bool:
    """ISO-BMFF structure: ``ftyp`` first; box sizes valid and tiling the file; a ``moov`` box."""
    offset = 0
    types: list[bytes] = []
    while offset < size:
        if len(types) >= _MAX_TOP_LEVEL_BOXES:
            return False
        header = _read_at(upload, offset, 16)
        if len(header) < 8:
            return False
        box_size, box_type, header_size = int.from_bytes(header[:4], "big"), header[4:8], 8
        if not all(0x20 <= b < 0x7F for b in box_type):
            return False
        if box_size == 1:  # a 64-bit size follows the type
            if len(header) < 16:
                return False
            box_size, header_size = int.from_bytes(header[8:16], "big"), 16
        elif box_size == 0:  # the last box runs to the end of the file
            box_size = size - offset
        if box_size < header_size or offset + box_size > size:
            return False
        if not types:
            brand = header[8:12]
            if box_type != b"ftyp" or box_size < 16 or not all(0x20 <= b < 0x7F for b in brand):
                return False
        types.append(box_type)
        offset += box_size
    return b"moov" in types


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``pos``: (value, length), or None when malformed."""
    if pos >= len(data) or data[pos] == 0:
        return None
    length = 9 - data[pos].bit_length()
    if pos + length > len(data):
        return None
    value = int.from_bytes(data[pos : pos + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    return value, length


_EBML_ID, _DOCTYPE_ID, _SEGMENT_ID = 0x1A45DFA3, 0x4282, 0x18538067


def _is_webm(upload: Any, size: int) -> bool:
    """An EBML header (DocType ``webm``) followed by a Segment element that fits in the file."""
    head = _read_at(upload, 0, 4096)
    element = _vint(head, 0, keep_marker=True)
    if element is None or element[0] != _EBML_ID:
        return False
    header_size = _vint(head, element[1], keep_marker=False)
    if header_size is None:
        return False
    pos = element[1] + header_size[1]
    end = pos + header_size[0]
    if end > len(head):
        return False
    doctype = None
    while pos < end:
        child = _vint(head, pos, keep_marker=True)
        child_size = _vint(head, pos + child[1], keep_marker=False) if child else None
        if child is None or child_size is None:
            return False
        start = pos + child[1] + child_size[1]
        if start + child_size[0] > end:
            return False
        if child[0] == _DOCTYPE_ID:
            doctype = head[start : start + child_size[0]].rstrip(b"\x00")
        pos = start + child_size[0]
    if doctype != b"webm":
        return False
    segment = _vint(head, end, keep_marker=True)
    if segment is None or segment[0] != _SEGMENT_ID:
        return False
    segment_size = _vint(head, end + segment[1], keep_marker=False)
    if segment_size is None:
        return False
    unknown = segment_size[0] == (1 << (7 * segment_size[1])) - 1  # "unknown size" (live streams)
    return unknown or end + segment[1] + segment_size[1] + segment_size[0] <= size


_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_PDF_TAIL = re.compile(rb"startxref\s+(\d{1,15})\s+%%EOF")
_PDF_XREF_STREAM = re.compile(rb"\d{1,10}\s+\d{1,5}\s+obj\b")


def _is_pdf(upload: Any, size: int) -> bool:
    """``%PDF-`` header; ``startxref`` + ``%%EOF`` in the last KiB; the offset names an xref."""
    if not _PDF_HEADER.match(_read_at(upload, 0, 16)):
        return False
    tail_start = max(size - 1024, 0)
    matches = list(_PDF_TAIL.finditer(_read_at(upload, tail_start, 1024)))
    if not matches:
        return False
    offset = int(matches[-1].group(1))
    if offset >= size:
        return False
    at = _read_at(upload, offset, 64).lstrip()
    return at.startswith(b"xref") or bool(_PDF_XREF_STREAM.match(at))


# (magic prefix, offset, structure check, content type, extension). The prefix only picks the
# candidate; the structure check decides.
OTHER_SIGNATURES: list[tuple[bytes, int, Any, str, str]] = [
    (b"%PDF-", 0, _is_pdf, "application/pdf", "pdf"),
    (b"ftyp", 4, _is_mp4, "video/mp4", "mp4"),
    (b"\x1a\x45\xdf\xa3", 0, _is_webm, "video/webm", "webm"),
]


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    width: int | None = None
    height: int | None = None

    @property
    def kind(self) -> str:
        return self.content_type.split("/")[0] if self.content_type != "application/pdf" else "document"


def server_name(prefix: str, extension: str) -> str:
    """A name the client cannot influence: ``prefix/<uuid>.<ext>``."""
    return f"{prefix.strip('/')}/{uuid.uuid4().hex}.{extension}"


def _size_of(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        pos = upload.tell()
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(pos)
    return int(size)


def check_size(upload: Any, max_bytes: int, field: str = "file") -> int:
    size = _size_of(upload)
    if size > max_bytes:
        raise FileTooLarge(message=f"The file is larger than {max_bytes // 1024} KiB.", fields={field: ["Too large."]})
    if size == 0:
        raise ValidationFailed(message="The file is empty.", fields={field: ["The file is empty."]})
    return size


def validate_image(upload: IO[bytes] | Any, *, max_bytes: int | None = None, field: str = "file") -> CheckedFile:
    """Decode the upload with Pillow and return what it really is; raise 400/413 otherwise."""
    size = check_size(upload, max_bytes or settings.AUGEO_MAX_IMAGE_BYTES, field)
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = settings.AUGEO_MAX_IMAGE_PIXELS
            with Image.open(upload) as image:
                fmt = image.format or ""
                width, height = image.size
                if fmt not in IMAGE_FORMATS:
                    raise ValidationFailed(
                        message="Unsupported image format.", fields={field: [f"{fmt} is not allowed."]}
                    )
                if width * height > settings.AUGEO_MAX_IMAGE_PIXELS:
                    raise ValidationFailed(
                        message="The image has too many pixels.", fields={field: ["Too many pixels."]}
                    )
                image.verify()
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise ValidationFailed(
            message="The file is not a valid image.", fields={field: ["Upload a JPEG, PNG, WebP or GIF image."]}
        ) from exc
    finally:
        upload.seek(0)
    content_type, extension = IMAGE_FORMATS[fmt]
    return CheckedFile(content_type, extension, size, width, height)


def validate_media(upload: Any, *, max_bytes: int | None = None, field: str = "file") -> CheckedFile:
    """An image (decoded), a PDF or a video (container structure). Anything else — SVG, HTML, a
    PDF or MP4 header in front of something else — is refused."""
    limit = max_bytes or settings.AUGEO_MAX_MEDIA_BYTES
    size = check_size(upload, limit, field)
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    for magic, offset, is_valid, content_type, extension in OTHER_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            try:
                valid = is_valid(upload, size)
            finally:
                upload.seek(0)
            if not valid:
                kind = "PDF" if extension == "pdf" else "video"
                raise ValidationFailed(
                    message=f"The file is not a valid {kind}.", fields={field: [f"The {kind} is damaged or not one."]}
                )
            return CheckedFile(content_type, extension, size)
    return validate_image(upload, max_bytes=limit, field=field)
