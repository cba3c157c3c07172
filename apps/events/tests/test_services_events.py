from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.models import AuditEntry
from apps.core.text import markdown_html as markdown_to_html
from apps.events.models import Event, EventStatus, FoodOption
from apps.events.selectors import event_for, events_visible_to
from apps.events.services.events import (
    event_close,
    event_create,
    event_delete,
    event_publish,
    event_unpublish,
    event_update,
)
from apps.events.tests.factories import EventFactory, PublishedEventFactory
from apps.npos.models import NPOStatus

pytestmark = pytest.mark.django_db


def _data(**overrides: Any) -> dict[str, Any]:
    starts = timezone.now() + timedelta(days=10)
    return {"name": "Spring Gala", "starts_at": starts, "ends_at": starts + timedelta(hours=4), **overrides}


class TestCreate:
    def test_draft_with_slug_from_name(self, npo: Any, admin: Any) -> None:
        event = event_create(actor=admin, npo=npo, data=_data(timezone="Europe/Paris"))
        assert event.status == EventStatus.DRAFT
        assert event.slug == "spring-gala"
        assert event.version == 1
        assert event.timezone == "Europe/Paris"
        assert event.created_by == admin
        assert AuditEntry.objects.filter(action="event.create", object_id=str(event.pk)).exists()

    def test_duplicate_names_get_numbered_slugs(self, npo: Any, admin: Any) -> None:
        first = event_create(actor=admin, npo=npo, data=_data())
        second = event_create(actor=admin, npo=npo, data=_data())
        third = event_create(actor=admin, npo=npo, data=_data())
        assert [first.slug, second.slug, third.slug] == ["spring-gala", "spring-gala-2", "spring-gala-3"]

    def test_name_without_ascii_gets_a_fallback_slug(self, npo: Any, admin: Any) -> None:
        event = event_create(actor=admin, npo=npo, data=_data(name="慈善晚会"))
        assert event.slug == "event"

    def test_requested_slug_is_normalised(self, npo: Any, admin: Any) -> None:
        event = event_create(actor=admin, npo=npo, data=_data(slug="  My-Gala-2026 "))
        assert event.slug == "my-gala-2026"

    @pytest.mark.parametrize("slug", ["has spaces", "bad_slug", "-leading", "trailing-", "a--b", "émile", "x/y"])
    def test_bad_slug(self, npo: Any, admin: Any, slug: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            event_create(actor=admin, npo=npo, data=_data(slug=slug))
        assert "slug" in exc.value.fields

    def test_taken_slug(self, npo: Any, admin: Any, draft: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            event_create(actor=admin, npo=npo, data=_data(slug=draft.slug))
        assert exc.value.fields == {"slug": ["Already in use."]}

    def test_unknown_time_zone(self, npo: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            event_create(actor=admin, npo=npo, data=_data(timezone="Mars/Olympus_Mons"))
        assert "timezone" in exc.value.fields
        assert not Event.objects.exists()

    def test_end_before_start(self, npo: Any, admin: Any) -> None:
        starts = timezone.now() + timedelta(days=3)
        with pytest.raises(ValidationFailed) as exc:
            event_create(actor=admin, npo=npo, data=_data(starts_at=starts, ends_at=starts))
        assert "ends_at" in exc.value.fields

    def test_bad_colour(self, npo: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            event_create(actor=admin, npo=npo, data=_data(primary_color="red"))
        assert "primary_color" in exc.value.fields

    def test_blank_name(self, npo: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            event_create(actor=admin, npo=npo, data=_data(name="  "))
        assert "name" in exc.value.fields

    def test_database_refuses_end_before_start(self, npo: Any) -> None:
        starts = timezone.now()
        with pytest.raises(IntegrityError), transaction.atomic():
            Event.objects.create(npo=npo, name="x", slug="x", starts_at=starts, ends_at=starts - timedelta(hours=1))


class TestUpdate:
    def test_bumps_version(self, draft: Any, admin: Any) -> None:
        event = event_update(event=draft, actor=admin, data={"tagline": "A night to remember"}, version=1)
        assert event.version == 2
        event = event_update(event=event, actor=admin, data={"attire": "Black tie"})
        assert event.version == 3
        draft.refresh_from_db()
        assert (draft.tagline, draft.attire, draft.version) == ("A night to remember", "Black tie", 3)

    def test_stale_version_conflicts(self, draft: Any, admin: Any) -> None:
        event_update(event=draft, actor=admin, data={"tagline": "first"}, version=1)
        with pytest.raises(Conflict) as exc:
            event_update(event=draft, actor=admin, data={"tagline": "second"}, version=1)
        assert exc.value.code == "VERSION_CONFLICT"
        assert exc.value.extra["current_version"] == 2
        draft.refresh_from_db()
        assert draft.tagline == "first"

    def test_end_before_existing_start(self, draft: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            event_update(event=draft, actor=admin, data={"ends_at": draft.starts_at - timedelta(minutes=1)})
        assert "ends_at" in exc.value.fields

    def test_slug_editable_while_draft(self, draft: Any, admin: Any) -> None:
        event = event_update(event=draft, actor=admin, data={"slug": "new-slug"})
        assert event.slug == "new-slug"

    def test_slug_frozen_once_published(self, published: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            event_update(event=published, actor=admin, data={"slug": "other-slug"})
        assert "slug" in exc.value.fields
        # Sending the unchanged slug is fine.
        event_update(event=published, actor=admin, data={"slug": published.slug, "tagline": "x"})

    def test_slug_taken(self, draft: Any, published: Any, admin: Any) -> None:
        with pytest.raises(ValidationFailed):
            event_update(event=draft, actor=admin, data={"slug": published.slug})

    def test_name_change_keeps_slug(self, draft: Any, admin: Any) -> None:
        event = event_update(event=draft, actor=admin, data={"name": "Renamed"})
        assert event.slug == "draft-gala"


class TestTransitions:
    def test_publish(self, draft: Any, admin: Any) -> None:
        event = event_publish(event=draft, actor=admin)
        assert event.status == EventStatus.PUBLISHED
        assert event.published_at is not None
        assert event.version == 2

    @pytest.mark.parametrize("npo_status", [NPOStatus.DRAFT, NPOStatus.PENDING_APPROVAL, NPOStatus.SUSPENDED])
    def test_publish_needs_approved_npo(self, draft: Any, admin: Any, npo_status: str) -> None:
        draft.npo.status = npo_status
        draft.npo.save()
        with pytest.raises(Conflict) as exc:
            event_publish(event=draft, actor=admin)
        assert exc.value.code == "NPO_NOT_APPROVED"

    def test_invalid_transition_is_checked_first(self, published: Any, admin: Any) -> None:
        published.npo.status = NPOStatus.SUSPENDED
        published.npo.save()
        with pytest.raises(Conflict) as exc:
            event_publish(event=published, actor=admin)
        assert exc.value.code == "INVALID_TRANSITION"

    def test_publish_with_stale_version(self, draft: Any, admin: Any) -> None:
        with pytest.raises(Conflict) as exc:
            event_publish(event=draft, actor=admin, version=7)
        assert exc.value.code == "VERSION_CONFLICT"

    def test_unpublish(self, published: Any, admin: Any) -> None:
        event = event_unpublish(event=published, actor=admin)
        assert event.status == EventStatus.DRAFT

    def test_unpublish_refused_after_a_registration(self, published: Any, admin: Any, donor: Any) -> None:
        from apps.attendance.models import Registration

        Registration.objects.create(event=published, user=donor, code="ABC123", status="cancelled")
        with pytest.raises(Conflict) as exc:
            event_unpublish(event=published, actor=admin)
        assert exc.value.code == "INVALID_TRANSITION"

    def test_unpublish_refused_after_a_bid(self, published: Any, admin: Any) -> None:
        from apps.auctions.selectors import bid_context
        from apps.auctions.services.bidding import bid_place
        from apps.auctions.tests.factories import ItemFactory, bidder

        item = ItemFactory(event=published)
        bid_place(context=bid_context(bidder(published, 101), item), amount=str(item.starting_bid))
        with pytest.raises(Conflict) as exc:
            event_unpublish(event=published, actor=admin)
        assert exc.value.code == "INVALID_TRANSITION"

    def test_unpublish_a_draft(self, draft: Any, admin: Any) -> None:
        with pytest.raises(Conflict) as exc:
            event_unpublish(event=draft, actor=admin)
        assert exc.value.code == "INVALID_TRANSITION"

    def test_close_runs_the_registered_close_hooks(self, published: Any, admin: Any, monkeypatch: Any) -> None:
        from apps.events import hooks

        seen = []
        monkeypatch.setitem(hooks._close_hooks, "auctions", lambda *, event, actor: seen.append((event.status, actor)))
        event = event_close(event=published, actor=admin)
        assert event.status == EventStatus.CLOSED
        assert event.closed_at is not None
        assert seen == [(EventStatus.CLOSED, admin)]

    def test_a_failing_close_hook_fails_the_close(self, published: Any, admin: Any, monkeypatch: Any) -> None:
        """No swallowed errors: a broken hook rolls the close back instead of leaving items open."""
        from apps.events import hooks

        def broken(**kwargs: Any) -> None:
            raise RuntimeError("renamed")

        monkeypatch.setitem(hooks._close_hooks, "auctions", broken)
        with pytest.raises(RuntimeError):
            event_close(event=published, actor=admin)
        published.refresh_from_db()
        assert published.status == EventStatus.PUBLISHED

    def test_every_expected_hook_is_registered(self) -> None:
        from apps.events import hooks

        hooks.check()

    def test_closing_an_event_closes_its_items(self, published: Any, admin: Any) -> None:
        from apps.auctions.models import ItemStatus
        from apps.auctions.tests.factories import ItemFactory

        item = ItemFactory(event=published, status=ItemStatus.OPEN)
        event_close(event=published, actor=admin)
        item.refresh_from_db()
        assert item.status != ItemStatus.OPEN

    @pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.CLOSED])
    def test_close_only_published(self, npo: Any, admin: Any, status: str) -> None:
        event = EventFactory(npo=npo, status=status)
        with pytest.raises(Conflict) as exc:
            event_close(event=event, actor=admin)
        assert exc.value.code == "INVALID_TRANSITION"

    def test_closed_cannot_be_published_again(self, npo: Any, admin: Any) -> None:
        event = EventFactory(npo=npo, status=EventStatus.CLOSED)
        with pytest.raises(Conflict):
            event_publish(event=event, actor=admin)


class TestDelete:
    def test_draft_is_deleted_with_children(self, draft: Any, admin: Any) -> None:
        FoodOption.objects.create(event=draft, name="Fish")
        event_delete(event=draft, actor=admin)
        assert not Event.all_objects.filter(pk=draft.pk).exists()
        assert not FoodOption.objects.exists()

    def test_published_is_refused(self, published: Any, admin: Any) -> None:
        with pytest.raises(Conflict) as exc:
            event_delete(event=published, actor=admin)
        assert exc.value.code == "INVALID_TRANSITION"

    def test_protected_draft_is_soft_deleted_and_frees_its_slug(self, draft: Any, admin: Any, donor: Any) -> None:
        from apps.attendance.models import Registration

        Registration.objects.create(event=draft, user=donor, code="XYZ789")
        event_delete(event=draft, actor=admin)
        row = Event.all_objects.get(pk=draft.pk)
        assert row.deleted_at is not None
        assert row.slug.startswith("draft-gala-deleted-")
        assert not Event.objects.filter(pk=draft.pk).exists()


class TestVisibility:
    def test_drafts_only_for_members(
        self, draft: Any, published: Any, admin: Any, staff: Any, other_admin: Any, donor: Any, superuser: Any
    ) -> None:
        from django.contrib.auth.models import AnonymousUser

        closed = PublishedEventFactory(npo=draft.npo, status=EventStatus.CLOSED)
        assert set(events_visible_to(admin)) == {draft, published, closed}
        assert set(events_visible_to(staff)) == {draft, published, closed}
        assert set(events_visible_to(other_admin)) == {published, closed}
        assert set(events_visible_to(donor)) == {published, closed}
        assert set(events_visible_to(AnonymousUser())) == {published, closed}
        assert set(events_visible_to(superuser)) == {draft, published, closed}

    def test_get_visible_raises_not_found(self, draft: Any, admin: Any, other_admin: Any) -> None:
        from apps.core.exceptions import NotFound

        with pytest.raises(NotFound):
            event_for(other_admin, draft.pk)
        with pytest.raises(NotFound):
            event_for(other_admin, "not-a-uuid")
        assert event_for(admin, str(draft.pk)).event == draft


def test_markdown_is_sanitised() -> None:
    html = markdown_to_html("**Hi** <script>alert(1)</script> [x](javascript:alert(1)) <a onclick='x'>y</a>")
    assert "<strong>Hi</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
    assert markdown_to_html("") == ""


class TestCapacityBelowRegistered:
    def _party(self, event: Any, size: int, *, cancelled: bool = False) -> None:
        from apps.attendance.models import Guest, Registration, RegistrationStatus
        from apps.users.tests.factories import UserFactory

        status = RegistrationStatus.CANCELLED if cancelled else RegistrationStatus.CONFIRMED
        registration = Registration.objects.create(
            event=event, user=UserFactory(), code=f"P{size}{int(cancelled)}", status=status
        )
        for i in range(size):
            Guest.objects.create(registration=registration, event=event, is_registrant=i == 0)

    def test_refused_below_confirmed_guests_only(self, published: Any, admin: Any) -> None:
        self._party(published, 2)
        self._party(published, 5, cancelled=True)  # cancelled parties released their seats
        with pytest.raises(Conflict) as exc:
            event_update(event=published, actor=admin, data={"capacity": 1})
        assert exc.value.code == "CAPACITY_BELOW_OCCUPANCY"
        assert event_update(event=published, actor=admin, data={"capacity": 2}).capacity == 2

    def test_unchanged_or_raised_capacity_is_accepted_even_when_walk_ins_exceed_it(
        self, published: Any, admin: Any
    ) -> None:
        published.capacity = 1
        published.save(update_fields=["capacity"])
        self._party(published, 3)  # e.g. walk-ins, which ignore capacity
        event = event_update(event=published, actor=admin, data={"capacity": 1, "tagline": "Sold out"})
        assert (event.capacity, event.tagline) == (1, "Sold out")
        assert event_update(event=event, actor=admin, data={"capacity": 2}).capacity == 2  # raised
        with pytest.raises(Conflict):
            event_update(event=event, actor=admin, data={"capacity": 1})
