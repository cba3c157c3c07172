from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from apps.events.models import (
    Event,
    EventLink,
    EventMedia,
    EventStatus,
    FoodOption,
    LinkKind,
    MediaKind,
    MediaStatus,
    Sponsor,
)
from apps.npos.tests.factories import NPOFactory


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    npo = factory.SubFactory(NPOFactory)
    name = factory.Sequence(lambda n: f"Spring Gala {n}")
    slug = factory.Sequence(lambda n: f"spring-gala-{n}")
    status = EventStatus.DRAFT
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=5))
    timezone = "America/Chicago"


class PublishedEventFactory(EventFactory):
    status = EventStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class FoodOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FoodOption

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Meal {n}")
    description = "Seasonal vegetables"


class EventLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventLink

    event = factory.SubFactory(EventFactory)
    kind = LinkKind.WEBSITE
    url = factory.Sequence(lambda n: f"https://example.org/{n}")
    label = "Website"


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Sponsor {n}")
    level = "Gold"
    display_order = factory.Sequence(lambda n: n)


class EventMediaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventMedia

    event = factory.SubFactory(EventFactory)
    file = factory.Sequence(lambda n: f"events/test/media/{n:032x}.png")
    kind = MediaKind.IMAGE
    content_type = "image/png"
    size = 1000
    status = MediaStatus.READY


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30), color: str = "teal") -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str = "photo.png", data: bytes | None = None, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


def _pdf() -> bytes:
    """The smallest structurally valid PDF: header, one object, an xref table, startxref, %%EOF."""
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\n"
    xref = b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer<</Size 2>>\n"
    return body + xref + b"startxref\n" + str(len(body)).encode() + b"\n%%EOF\n"


PDF_BYTES = _pdf()
#: ``ftyp`` (24 bytes), an empty ``moov`` and a 72-byte ``mdat``: boxes that tile the file.
MP4_BYTES = (
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    + b"\x00\x00\x00\x08moov"
    + b"\x00\x00\x00\x48mdat"
    + b"\x00" * 64
)
#: An EBML header (version 1, DocType "webm") and an 8-byte Segment.
WEBM_BYTES = bytes.fromhex("1A45DFA38B428681014282") + b"\x84webm" + bytes.fromhex("1853806788") + b"\x00" * 8
HTML_BYTES = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
