"""Media, links, meal options and sponsors through the services, on the local-disk storage."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from apps.core.exceptions import Conflict, FileTooLarge, ServiceUnavailable, ValidationFailed
from apps.events.models import EventLink, EventMedia, FoodOption, MediaKind, Sponsor
from apps.events.services.children import (
    food_option_create,
    food_option_delete,
    food_option_update,
    link_create,
    link_delete,
    link_update,
    save_unique,
    sponsor_create,
    sponsor_delete,
    sponsor_reorder,
    sponsor_update,
)
from apps.events.services.media import media_create, media_delete, media_update
from apps.events.services.uploads import media_confirm, media_upload_url_create
from apps.events.tests.factories import (
    HTML_BYTES,
    MP4_BYTES,
    PDF_BYTES,
    SVG_BYTES,
    EventMediaFactory,
    FoodOptionFactory,
    SponsorFactory,
    image_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


class TestMedia:
    def test_png_renamed_jpg_is_stored_as_png(self, draft: Any, admin: Any) -> None:
        media = media_create(event=draft, actor=admin, upload=upload("holiday.jpg", content_type="image/jpeg"))
        assert media.content_type == "image/png"
        assert media.kind == MediaKind.IMAGE
        assert (media.width, media.height) == (40, 30)
        assert media.file.name.startswith(f"events/{draft.pk}/media/")
        assert media.file.name.endswith(".png")
        assert "holiday" not in media.file.name  # server-generated name
        assert media.original_name == "holiday.jpg"
        assert default_storage.exists(media.file.name)

    def test_pdf_and_video(self, draft: Any, admin: Any) -> None:
        pdf = media_create(event=draft, actor=admin, upload=upload("flyer.pdf", PDF_BYTES, "application/pdf"))
        video = media_create(event=draft, actor=admin, upload=upload("clip.mp4", MP4_BYTES, "video/mp4"))
        assert (pdf.kind, pdf.content_type) == (MediaKind.DOCUMENT, "application/pdf")
        assert (video.kind, video.content_type) == (MediaKind.VIDEO, "video/mp4")
        assert [pdf.display_order, video.display_order] == [0, 1]

    @pytest.mark.parametrize(
        ("name", "data", "content_type"),
        [
            ("page.png", HTML_BYTES, "image/png"),
            ("logo.svg", SVG_BYTES, "image/svg+xml"),
            ("logo.png", SVG_BYTES, "image/png"),
            ("empty.png", b"", "image/png"),
            ("truncated.png", image_bytes()[:40], "image/png"),
        ],
    )
    def test_refused_by_content(self, draft: Any, admin: Any, name: str, data: bytes, content_type: str) -> None:
        with pytest.raises(ValidationFailed):
            media_create(event=draft, actor=admin, upload=upload(name, data, content_type))
        assert not EventMedia.objects.exists()

    def test_oversized_file(self, draft: Any, admin: Any, settings: Any) -> None:
        settings.AUGEO_MAX_MEDIA_BYTES = 10
        with pytest.raises(FileTooLarge):
            media_create(event=draft, actor=admin, upload=upload())
        assert not EventMedia.objects.exists()

    def test_event_total_cap(self, draft: Any, admin: Any, settings: Any) -> None:
        size = len(image_bytes())
        settings.AUGEO_MAX_EVENT_MEDIA_BYTES = size * 2 + 10
        media_create(event=draft, actor=admin, upload=upload())
        media_create(event=draft, actor=admin, upload=upload())
        stored_before = set(default_storage.listdir(f"events/{draft.pk}/media")[1])
        with pytest.raises(FileTooLarge) as exc:
            media_create(event=draft, actor=admin, upload=upload())
        assert exc.value.extra["used_bytes"] == size * 2
        assert EventMedia.objects.count() == 2
        assert set(default_storage.listdir(f"events/{draft.pk}/media")[1]) == stored_before

    def test_pending_uploads_count_towards_the_cap(self, draft: Any, admin: Any, settings: Any) -> None:
        settings.AUGEO_MAX_EVENT_MEDIA_BYTES = 2000
        EventMediaFactory(event=draft, size=1990, status="pending")
        with pytest.raises(FileTooLarge):
            media_create(event=draft, actor=admin, upload=upload())

    def test_delete_removes_the_blob_after_commit(
        self, draft: Any, admin: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        media = media_create(event=draft, actor=admin, upload=upload())
        name = media.file.name
        with django_capture_on_commit_callbacks(execute=True):
            media_delete(media=media, actor=admin)
        assert not EventMedia.objects.exists()
        assert not default_storage.exists(name)

    def test_update_caption(self, draft: Any, admin: Any) -> None:
        media = EventMediaFactory(event=draft)
        media_update(media=media, actor=admin, data={"caption": "The stage", "display_order": 4})
        media.refresh_from_db()
        assert (media.caption, media.display_order) == ("The stage", 4)

    def test_storage_outage_is_503_and_leaves_no_row(self, draft: Any, admin: Any, monkeypatch: Any) -> None:
        from azure.core.exceptions import ServiceRequestError

        def broken_save(*args: Any, **kwargs: Any) -> str:
            raise ServiceRequestError("connection refused")

        from django.core.files.storage import storages

        monkeypatch.setattr(storages["default"], "save", broken_save)
        with pytest.raises(ServiceUnavailable):
            media_create(event=draft, actor=admin, upload=upload())
        assert not EventMedia.objects.exists()

    def test_database_failure_discards_the_stored_blob(self, draft: Any, admin: Any, monkeypatch: Any) -> None:
        def broken_create(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("database went away")

        monkeypatch.setattr(EventMedia.objects, "create", broken_create)
        with pytest.raises(RuntimeError):
            media_create(event=draft, actor=admin, upload=upload())
        assert default_storage.listdir(f"events/{draft.pk}/media")[1] == []

    def test_direct_upload_needs_azure(self, draft: Any, admin: Any) -> None:
        with pytest.raises(Conflict) as exc:
            media_upload_url_create(event=draft, actor=admin, size=100)
        assert exc.value.code == "DIRECT_UPLOAD_UNAVAILABLE"
        media = EventMediaFactory(event=draft, status="pending")
        with pytest.raises(Conflict):
            media_confirm(media=media, actor=admin)

    def test_confirming_a_ready_media_is_a_no_op(self, draft: Any, admin: Any) -> None:
        media = EventMediaFactory(event=draft)
        assert media_confirm(media=media, actor=admin) == media


class TestLinks:
    @pytest.mark.parametrize(
        "url",
        [
            "https://www.youtube.com/watch?v=abc",
            "https://youtu.be/abc",
            "https://vimeo.com/123",
            "https://player.vimeo.com/video/1",
        ],
    )
    def test_video_links_on_youtube_or_vimeo(self, draft: Any, admin: Any, url: str) -> None:
        link = link_create(event=draft, actor=admin, data={"kind": "video", "url": url})
        assert link.url == url

    @pytest.mark.parametrize(
        "url", ["https://example.com/video.mp4", "https://youtube.com.evil.org/x", "https://notvimeo.com/1"]
    )
    def test_other_video_hosts_refused(self, draft: Any, admin: Any, url: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            link_create(event=draft, actor=admin, data={"kind": "video", "url": url})
        assert "url" in exc.value.fields

    def test_non_http_scheme_refused(self, draft: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed):
            link_create(event=draft, actor=admin, data={"kind": "website", "url": "ftp://example.org/x"})

    def test_update_revalidates_kind_and_url(self, draft: Any, admin: Any) -> None:
        link = link_create(event=draft, actor=admin, data={"kind": "website", "url": "https://example.org"})
        with pytest.raises(ValidationFailed):
            link_update(link=link, actor=admin, data={"kind": "video"})
        link = link_update(link=link, actor=admin, data={"label": "Our site", "display_order": 3})
        assert EventLink.objects.get().label == "Our site"
        link_delete(link=link, actor=admin)
        assert not EventLink.objects.exists()


class TestFoodOptions:
    def test_names_unique_per_event_case_insensitive(self, draft: Any, published: Any, admin: Any) -> None:
        food_option_create(event=draft, actor=admin, data={"name": "Vegan risotto"})
        with pytest.raises(ValidationFailed) as exc:
            food_option_create(event=draft, actor=admin, data={"name": " VEGAN risotto "})
        assert "name" in exc.value.fields
        # Another event may use the same name.
        food_option_create(event=published, actor=admin, data={"name": "Vegan risotto"})

    def test_update_to_a_taken_name(self, draft: Any, admin: Any) -> None:
        FoodOptionFactory(event=draft, name="Fish")
        chicken = FoodOptionFactory(event=draft, name="Chicken")
        with pytest.raises(ValidationFailed):
            food_option_update(option=chicken, actor=admin, data={"name": "fish"})
        food_option_update(option=chicken, actor=admin, data={"name": "Chicken", "description": "Roast"})
        assert FoodOption.objects.get(pk=chicken.pk).description == "Roast"

    def test_database_backs_uniqueness(self, draft: Any, admin: Any) -> None:
        FoodOptionFactory(event=draft, name="Fish")
        option = FoodOption(event=draft, name="FISH")
        with pytest.raises(ValidationFailed):
            save_unique(option)

    def test_delete_in_use_conflicts(self, published: Any, admin: Any, donor: Any) -> None:
        from apps.attendance.models import Guest, Registration

        option = FoodOptionFactory(event=published)
        registration = Registration.objects.create(event=published, user=donor, code="MEAL01")
        Guest.objects.create(registration=registration, event=published, food_option=option, first_name="Ann")
        with pytest.raises(Conflict) as exc:
            food_option_delete(option=option, actor=admin)
        assert exc.value.code == "OPTION_IN_USE"
        assert FoodOption.objects.filter(pk=option.pk).exists()

    def test_delete_unused(self, draft: Any, admin: Any) -> None:
        option = FoodOptionFactory(event=draft)
        food_option_delete(option=option, actor=admin)
        assert not FoodOption.objects.exists()


class TestSponsors:
    def test_logo_and_thumbnail(self, draft: Any, admin: Any) -> None:
        big = image_bytes("JPEG", (1600, 900), "navy")
        sponsor = sponsor_create(
            event=draft,
            actor=admin,
            data={"name": "Acme", "level": "Gold", "donation_amount": "5000.00"},
            logo=upload("acme.png", big, "image/png"),
        )
        assert sponsor.logo.name.endswith(".jpg")
        with default_storage.open(sponsor.logo_thumbnail.name) as fh, Image.open(BytesIO(fh.read())) as thumb:
            assert thumb.format == "PNG"
            assert thumb.size == (400, 225)

    def test_svg_logo_refused(self, draft: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            sponsor_create(event=draft, actor=admin, data={"name": "Acme"}, logo=upload("a.svg", SVG_BYTES))
        assert "logo" in exc.value.fields
        assert not Sponsor.objects.exists()

    def test_name_unique_per_event(self, draft: Any, admin: Any) -> None:
        SponsorFactory(event=draft, name="Acme")
        with pytest.raises(ValidationFailed):
            sponsor_create(event=draft, actor=admin, data={"name": "ACME"}, logo=upload())
        assert not default_storage.exists(f"events/{draft.pk}/sponsors")  # refused before storing

    def test_replace_logo_deletes_old_files(
        self, draft: Any, admin: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        sponsor = sponsor_create(event=draft, actor=admin, data={"name": "Acme"}, logo=upload())
        old = (sponsor.logo.name, sponsor.logo_thumbnail.name)
        with django_capture_on_commit_callbacks(execute=True):
            sponsor = sponsor_update(
                sponsor=sponsor, actor=admin, data={"level": "Platinum"}, logo=upload("new.gif", image_bytes("GIF"))
            )
        assert sponsor.logo.name.endswith(".gif")
        assert not any(default_storage.exists(n) for n in old)
        with django_capture_on_commit_callbacks(execute=True):
            sponsor = sponsor_update(sponsor=sponsor, actor=admin, data={}, logo=None)
        assert sponsor.logo.name == ""

    def test_delete_removes_files(self, draft: Any, admin: Any, django_capture_on_commit_callbacks: Any) -> None:
        sponsor = sponsor_create(event=draft, actor=admin, data={"name": "Acme"}, logo=upload())
        names = (sponsor.logo.name, sponsor.logo_thumbnail.name)
        with django_capture_on_commit_callbacks(execute=True):
            sponsor_delete(sponsor=sponsor, actor=admin)
        assert not any(default_storage.exists(n) for n in names)

    def test_reorder(self, draft: Any, admin: Any) -> None:
        a, b, c = (SponsorFactory(event=draft, name=n) for n in "ABC")
        result = sponsor_reorder(event=draft, actor=admin, order=[c.pk, a.pk, b.pk])
        assert [s.name for s in result] == ["C", "A", "B"]
        assert list(Sponsor.objects.filter(event=draft).values_list("name", flat=True)) == ["C", "A", "B"]

    @pytest.mark.parametrize("which", ["missing", "duplicate", "foreign"])
    def test_reorder_must_list_each_sponsor_once(self, draft: Any, published: Any, admin: Any, which: str) -> None:
        a, b = SponsorFactory(event=draft), SponsorFactory(event=draft)
        order = {
            "missing": [a.pk],
            "duplicate": [a.pk, b.pk, a.pk],
            "foreign": [a.pk, SponsorFactory(event=published).pk],
        }[which]
        with pytest.raises(ValidationFailed):
            sponsor_reorder(event=draft, actor=admin, order=order)
