"""Demo data: a published gala of "Hope Foundation" with a generated logo and gallery, sponsors with
logos, meal options and links. Idempotent: everything is looked up by natural keys (event slug,
sponsor/meal names, media captions) and only what is missing is created, through the services so
files get server names, validation and thumbnails like real uploads.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from apps.events.models import Event, EventLink, EventMedia, EventStatus, FoodOption, Sponsor
from apps.events.services.children import food_option_create, link_create, sponsor_create
from apps.events.services.events import event_create, event_publish
from apps.events.services.media import media_create
from apps.npos.models import NPO

DEMO_NPO_NAME = "Hope Foundation"
DEMO_EVENT_SLUG = "hope-gala-demo"

DESCRIPTION = """\
Join **Hope Foundation** for an evening of dinner, music and generosity.

* Silent auction from 6 pm, live auction and paddle raise at 8:30 pm
* Every dollar funds after-school programmes and summer camps

[Read about our programmes](https://example.org/hope)
"""

MEALS = [
    ("Herb-roasted chicken", "With seasonal vegetables and potato gratin"),
    ("Pan-seared salmon", "Lemon butter, wild rice"),
    ("Wild mushroom risotto", "Vegetarian; vegan on request"),
]
SPONSORS = [
    ("Northwind Bank", "Presenting", "#1F3A93", "xlarge", Decimal("25000.00")),
    ("Contoso Health", "Gold", "#C0392B", "large", Decimal("10000.00")),
    ("Fabrikam Coffee", "Silver", "#6E2C00", "medium", Decimal("5000.00")),
]
GALLERY = [
    ("Last year's ballroom", "#2C3E50"),
    ("The live auction", "#8E44AD"),
    ("Summer camp 2025", "#16A085"),
]
LINKS = [
    ("website", "https://example.org/hope-gala", "Gala website"),
    ("video", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "Our year in two minutes"),
    ("social", "https://www.instagram.com/example", "Instagram"),
]


def _picture(text: str, color: str, size: tuple[int, int] = (960, 540), fmt: str = "JPEG") -> SimpleUploadedFile:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    width, height = size
    for i in range(0, width, max(width // 12, 1)):
        draw.line([(i, 0), (i + height // 2, height)], fill="#ffffff22" if fmt == "PNG" else "#dddddd", width=2)
    draw.rectangle([(width // 10, height // 3), (width * 9 // 10, height * 2 // 3)], fill="white")
    draw.text((width // 10 + 20, height // 2 - 8), text, fill=color)
    buffer = BytesIO()
    image.save(buffer, format=fmt)
    extension = "png" if fmt == "PNG" else "jpg"
    return SimpleUploadedFile(f"{text}.{extension}", buffer.getvalue(), content_type=f"image/{extension}")


def seed(out: Any) -> list[tuple[str, str, str]]:
    npo = NPO.objects.filter(name=DEMO_NPO_NAME).first()
    if npo is None:
        out.write(f"events demo: NPO {DEMO_NPO_NAME!r} not found; skipping the demo gala.")
        return []
    actor = npo.memberships.filter(role="admin").select_related("user").first()
    user = actor.user if actor else None

    event = Event.all_objects.filter(slug=DEMO_EVENT_SLUG).first()
    if event is None:
        starts = (timezone.now() + timedelta(days=21)).replace(hour=23, minute=0, second=0, microsecond=0)
        event = event_create(
            actor=user,
            npo=npo,
            data={
                "name": "Hope Gala (demo)",
                "slug": DEMO_EVENT_SLUG,
                "tagline": "An evening for the children we serve",
                "description": DESCRIPTION,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=5),
                "timezone": "America/Chicago",
                "venue_name": "Grand Riverside Ballroom",
                "venue_address": "200 River Street",
                "venue_city": "Springfield",
                "venue_state": "IL",
                "venue_postal_code": "62701",
                "attire": "Black tie optional",
                "contact_name": "Casey Coordinator",
                "contact_email": "events@hope.example.org",
                "goal_amount": Decimal("150000.00"),
                "capacity": 400,
                "soft_close_minutes": 2,
            },
            logo=_picture("Hope Gala", "#1B4F72", (400, 400), "PNG"),
        )

    for position, (name, description) in enumerate(MEALS):
        if not FoodOption.objects.filter(event=event, name__iexact=name).exists():
            food_option_create(
                event=event, actor=user, data={"name": name, "description": description, "display_order": position}
            )
    for position, (name, level, color, logo_size, amount) in enumerate(SPONSORS):
        if not Sponsor.objects.filter(event=event, name__iexact=name).exists():
            sponsor_create(
                event=event,
                actor=user,
                data={
                    "name": name,
                    "level": level,
                    "logo_size": logo_size,
                    "website": f"https://example.org/{name.split()[0].lower()}",
                    "donation_amount": amount,
                    "display_order": position,
                },
                logo=_picture(name, color, (800, 400), "PNG"),
            )
    for position, (caption, color) in enumerate(GALLERY):
        if not EventMedia.objects.filter(event=event, caption=caption).exists():
            media_create(
                event=event, actor=user, upload=_picture(caption, color), caption=caption, display_order=position
            )
    for position, (kind, url, label) in enumerate(LINKS):
        if not EventLink.objects.filter(event=event, url=url).exists():
            link_create(
                event=event, actor=user, data={"kind": kind, "url": url, "label": label, "display_order": position}
            )

    event.refresh_from_db()
    if event.status == EventStatus.DRAFT and npo.is_approved:
        event_publish(event=event, actor=user)
    out.write(f"events demo: {event.name} at /api/v1/public/events/{event.slug}/")
    return []
