"""Uploads recognised by their container structure, not their first bytes, and
served as downloads unless they are images."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.exceptions import ValidationFailed
from apps.core.files import served_inline, validate_media
from apps.events.tests.factories import HTML_BYTES, MP4_BYTES, PDF_BYTES, WEBM_BYTES

FTYP = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def _check(data: bytes) -> Any:
    return validate_media(SimpleUploadedFile("upload", data, content_type="application/octet-stream"))


def _box(kind: bytes, payload: bytes = b"") -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def _pillow_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, format="PDF")
    return buffer.getvalue()


def _xref_stream_pdf() -> bytes:
    """A PDF 1.5 whose cross-reference is a stream object (no ``xref`` keyword)."""
    body = b"%PDF-1.5\n1 0 obj<<>>endobj\n"
    offset = len(body)
    body += b"2 0 obj<</Type/XRef/Size 3/W[1 1 1]/Length 0>>stream\n\nendstream\nendobj\n"
    return body + b"startxref\n" + str(offset).encode() + b"\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PDF_BYTES, "application/pdf"),
        (_pillow_pdf(), "application/pdf"),
        (_xref_stream_pdf(), "application/pdf"),
        (MP4_BYTES, "video/mp4"),
        (FTYP + _box(b"moov") + b"\x00\x00\x00\x00mdat" + b"\x01" * 100, "video/mp4"),  # last box to EOF
        (FTYP + _box(b"moov") + b"\x00\x00\x00\x01mdat" + (16 + 40).to_bytes(8, "big") + b"\x02" * 40, "video/mp4"),
        (WEBM_BYTES, "video/webm"),
    ],
    ids=["pdf", "pillow-pdf", "xref-stream-pdf", "mp4", "mp4-box-to-eof", "mp4-64bit-box", "webm"],
)
def test_valid_containers_are_accepted(data: bytes, content_type: str) -> None:
    assert _check(data).content_type == content_type


@pytest.mark.parametrize(
    "data",
    [
        # The reported polyglots: a recognised header in front of an HTML page.
        FTYP + HTML_BYTES,
        b"%PDF-1.4\n" + HTML_BYTES,
        b"%PDF-1.4\n" + HTML_BYTES + b"\n%%EOF\n",
        bytes.fromhex("1A45DFA3") + HTML_BYTES,
        # Damaged or incomplete structures.
        FTYP,  # no moov
        FTYP + _box(b"mdat", b"\x00" * 8),  # no moov
        FTYP + _box(b"moov")[:-2],  # truncated box header
        FTYP + (500).to_bytes(4, "big") + b"moov",  # a box larger than the file
        FTYP + (4).to_bytes(4, "big") + b"moov",  # a box smaller than its header
        FTYP + _box(b"mo\x00v"),  # a box type that is not text
        b"\x00\x00\x00\x18ftyp\x00\x01\x02\x03" + b"\x00" * 12 + _box(b"moov"),  # a brand that is not text
        b"\x00\x00\x00\x08ftyp" + _box(b"moov"),  # an ftyp too short to hold a brand
        b"%PDF-1.4\n1 0 obj<<>>endobj\nstartxref\n999999\n%%EOF\n",  # startxref past the end
        b"%PDF-1.4\n1 0 obj<<>>endobj\nstartxref\n11\n%%EOF\n",  # startxref pointing mid-object
        b"%PDF-x.y\n" + PDF_BYTES[9:],  # not a version
        WEBM_BYTES.replace(b"webm", b"mkv "),  # a Matroska DocType that is not WebM
        WEBM_BYTES[:18],  # the header without a Segment
        bytes.fromhex("1A45DFA3FF") + b"\x00" * 20,  # a header of unknown size
    ],
    ids=lambda data: f"{len(data)}-{hashlib.sha256(data).hexdigest()[:8]}",
)
def test_header_followed_by_something_else_is_refused(data: bytes) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _check(data)
    assert caught.value.fields and "file" in caught.value.fields


def test_a_refused_upload_is_left_at_its_start() -> None:
    upload = SimpleUploadedFile("x", FTYP + HTML_BYTES)
    with pytest.raises(ValidationFailed):
        validate_media(upload)
    assert upload.tell() == 0


@pytest.mark.parametrize(
    ("name", "inline"),
    [
        ("events/1/media/abc.png", True),
        ("items/2/abc.JPG", True),
        ("x/y.webp", True),
        ("x/y.gif", True),
        ("events/1/media/abc.pdf", False),
        ("events/1/media/abc.mp4", False),
        ("events/1/media/abc.webm", False),
        ("events/1/media/abc.bin", False),
        ("poc.html", False),
        ("noextension", False),
        ("a.svg", False),
    ],
)
def test_only_images_are_served_inline(name: str, inline: bool) -> None:
    assert served_inline(name) is inline


def test_debug_media_view_serves_non_images_as_attachments(tmp_path: Any, rf: Any) -> None:
    from apps.core.uploads import serve_media

    (tmp_path / "flyer.pdf").write_bytes(PDF_BYTES)
    (tmp_path / "poc.html").write_bytes(HTML_BYTES)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    for name, attachment in (("flyer.pdf", True), ("poc.html", True), ("photo.png", False)):
        response = serve_media(rf.get(f"/media/{name}"), name, document_root=str(tmp_path))
        assert response.status_code == 200
        assert (response.get("Content-Disposition") == "attachment") is attachment, name
        assert response["X-Content-Type-Options"] == "nosniff"


def test_debug_media_url_uses_the_attachment_view(settings: Any) -> None:
    import importlib

    import augeo.urls
    from apps.core.uploads import serve_media

    settings.DEBUG = True
    try:
        module = importlib.reload(augeo.urls)
        views = [getattr(p, "callback", None) for p in module.urlpatterns]
        assert serve_media in views
    finally:
        settings.DEBUG = False
        importlib.reload(augeo.urls)
