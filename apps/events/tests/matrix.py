"""Permission-matrix rows of the events API (format: ``apps/core/tests/matrix.py``).

World: ``ev_draft`` (a draft of NPO A: members only) and ``ev_pub`` (published, NPO A: public), with
a ready media file, a pending one, a link, a meal option and a sponsor on the published event.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.core.tests.matrix import Row, expect
from apps.events.tests.factories import upload

# The direct-to-blob endpoints depend on the storage backend the run is configured with.
AZURE = "Azure" in settings.STORAGES["default"]["BACKEND"]
UPLOAD_URL_OK = 201 if AZURE else 409
CONFIRM_OK = 400 if AZURE else 409  # nothing was PUT to the blob / no Azure backend

PUBLIC_READ = expect(all=200)
MEMBERS_READ = expect(super=200, members=200, others=404, donor=404, anon=404)


def manage(ok: int, *, visible_to_outsiders: bool = True) -> dict[str, int]:
    """``events.manage`` holders (super, admin, coordinator) get ``ok``; other members 403;
    outsiders 403 when they can see the event, 404 otherwise; anonymous 401."""
    outsider = 403 if visible_to_outsiders else 404
    return expect(
        super=ok,
        admin=ok,
        coordinator=ok,
        staff=403,
        auctioneer=403,
        cashier=403,
        others=outsider,
        donor=outsider,
        anon=401,
    )


def build(world: dict[str, Any]) -> None:
    from apps.events.models import EventLink, EventMedia, EventStatus, FoodOption, Sponsor
    from apps.events.tests.factories import EventFactory, PublishedEventFactory

    npo = world["npo_obj"]
    draft = EventFactory(npo=npo, name="Matrix draft", slug="matrix-draft")
    published = PublishedEventFactory(npo=npo, name="Matrix gala", slug="matrix-gala", status=EventStatus.PUBLISHED)
    media = EventMedia.objects.create(
        event=published, file="events/matrix/media/a.png", kind="image", content_type="image/png", size=10
    )
    pending = EventMedia.objects.create(
        event=published,
        file="events/matrix/media/b.png",
        kind="image",
        content_type="image/png",
        size=10,
        status="pending",
    )
    link = EventLink.objects.create(event=published, kind="website", url="https://example.org")
    food = FoodOption.objects.create(event=published, name="Matrix meal (events)")
    sponsor = Sponsor.objects.create(event=published, name="Matrix sponsor")
    world.update(
        ev_draft=str(draft.pk),
        ev_pub=str(published.pk),
        ev_pub_slug=published.slug,
        ev_draft_slug=draft.slug,
        ev_media=str(media.pk),
        ev_pending=str(pending.pk),
        ev_link=str(link.pk),
        ev_food=str(food.pk),
        ev_sponsor=str(sponsor.pk),
        ev_draft_obj=draft,
        ev_pub_obj=published,
    )


def _event_body(world: dict[str, Any]) -> dict[str, Any]:
    starts = timezone.now() + timedelta(days=40)
    return {
        "npo": world["npo"],
        "name": "Matrix created",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "timezone": "UTC",
    }


E = "/api/v1/events"
ROWS: list[Row] = [
    # Events
    Row("GET", f"{E}/", PUBLIC_READ),
    Row(
        "POST",
        f"{E}/",
        expect(
            super=201,
            admin=201,
            coordinator=201,
            staff=403,
            auctioneer=403,
            cashier=403,
            others=403,
            donor=403,
            anon=401,
        ),
        data=_event_body,
    ),
    Row("GET", f"{E}/{{ev_draft}}/", MEMBERS_READ, name="GET draft event"),
    Row("GET", f"{E}/{{ev_pub}}/", PUBLIC_READ, name="GET published event"),
    Row(
        "PATCH",
        f"{E}/{{ev_draft}}/",
        manage(200, visible_to_outsiders=False),
        data={"tagline": "x"},
        name="PATCH draft event",
    ),
    Row("PATCH", f"{E}/{{ev_pub}}/", manage(200), data={"tagline": "x"}, name="PATCH published event"),
    Row("DELETE", f"{E}/{{ev_draft}}/", manage(204, visible_to_outsiders=False), name="DELETE draft event"),
    Row("POST", f"{E}/{{ev_draft}}/publish/", manage(200, visible_to_outsiders=False)),
    Row("POST", f"{E}/{{ev_pub}}/unpublish/", manage(200)),
    Row("POST", f"{E}/{{ev_pub}}/close/", manage(200)),
    # Media
    Row("GET", f"{E}/{{ev_pub}}/media/", PUBLIC_READ),
    Row("GET", f"{E}/{{ev_draft}}/media/", MEMBERS_READ, name="GET draft event media"),
    Row("GET", f"{E}/{{ev_pub}}/media/{{ev_media}}/", PUBLIC_READ),
    Row("POST", f"{E}/{{ev_pub}}/media/", manage(201), data=lambda w: {"file": upload()}, format="multipart"),
    Row(
        "POST",
        f"{E}/{{ev_draft}}/media/",
        manage(201, visible_to_outsiders=False),
        data=lambda w: {"file": upload()},
        format="multipart",
        name="POST draft event media",
    ),
    Row("PATCH", f"{E}/{{ev_pub}}/media/{{ev_media}}/", manage(200), data={"caption": "x"}),
    Row("DELETE", f"{E}/{{ev_pub}}/media/{{ev_media}}/", manage(204)),
    Row("POST", f"{E}/{{ev_pub}}/media/upload-url/", manage(UPLOAD_URL_OK), data={"size": 10}),
    Row("POST", f"{E}/{{ev_pub}}/media/{{ev_pending}}/confirm/", manage(CONFIRM_OK)),
    # Links
    Row("GET", f"{E}/{{ev_pub}}/links/", PUBLIC_READ),
    Row("GET", f"{E}/{{ev_draft}}/links/", MEMBERS_READ, name="GET draft event links"),
    Row("GET", f"{E}/{{ev_pub}}/links/{{ev_link}}/", PUBLIC_READ),
    Row("POST", f"{E}/{{ev_pub}}/links/", manage(201), data={"kind": "social", "url": "https://example.org/s"}),
    Row("PATCH", f"{E}/{{ev_pub}}/links/{{ev_link}}/", manage(200), data={"label": "x"}),
    Row("DELETE", f"{E}/{{ev_pub}}/links/{{ev_link}}/", manage(204)),
    # Meal options
    Row("GET", f"{E}/{{ev_pub}}/food-options/", PUBLIC_READ),
    Row("GET", f"{E}/{{ev_draft}}/food-options/", MEMBERS_READ, name="GET draft event food options"),
    Row("GET", f"{E}/{{ev_pub}}/food-options/{{ev_food}}/", PUBLIC_READ),
    Row("POST", f"{E}/{{ev_pub}}/food-options/", manage(201), data={"name": "Vegan plate"}),
    Row("PATCH", f"{E}/{{ev_pub}}/food-options/{{ev_food}}/", manage(200), data={"description": "x"}),
    Row("DELETE", f"{E}/{{ev_pub}}/food-options/{{ev_food}}/", manage(204)),
    # Sponsors
    Row("GET", f"{E}/{{ev_pub}}/sponsors/", PUBLIC_READ),
    Row("GET", f"{E}/{{ev_draft}}/sponsors/", MEMBERS_READ, name="GET draft event sponsors"),
    Row("GET", f"{E}/{{ev_pub}}/sponsors/{{ev_sponsor}}/", PUBLIC_READ),
    Row(
        "POST",
        f"{E}/{{ev_pub}}/sponsors/",
        manage(201),
        data=lambda w: {"name": "New sponsor", "logo": upload("logo.png")},
        format="multipart",
    ),
    Row("PATCH", f"{E}/{{ev_pub}}/sponsors/{{ev_sponsor}}/", manage(200), data={"level": "Gold"}),
    Row("DELETE", f"{E}/{{ev_pub}}/sponsors/{{ev_sponsor}}/", manage(204)),
    Row("POST", f"{E}/{{ev_pub}}/sponsors/reorder/", manage(200), data=lambda w: {"order": [w["ev_sponsor"]]}),
    # Public pages
    Row("GET", "/api/v1/public/events/", PUBLIC_READ),
    Row("GET", "/api/v1/public/events/{ev_pub_slug}/", PUBLIC_READ),
    Row("GET", "/api/v1/public/events/{ev_draft_slug}/", expect(all=404), name="GET public draft slug"),
]
