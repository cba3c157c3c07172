"""Routes of the events API (mounted under /api/v1/)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from apps.events.api import views

# Path converters, not regexes: a malformed id never reaches a view (404 from the URL resolver).
router = SimpleRouter(use_regex_path=False)
router.register("events", views.EventViewSet, basename="event")
router.register("events/<uuid:event_id>/media", views.EventMediaViewSet, basename="event-media")
router.register("events/<uuid:event_id>/links", views.EventLinkViewSet, basename="event-link")
router.register("events/<uuid:event_id>/food-options", views.FoodOptionViewSet, basename="event-food-option")
router.register("events/<uuid:event_id>/sponsors", views.SponsorViewSet, basename="event-sponsor")
router.register("public/events", views.PublicEventViewSet, basename="public-event")

urlpatterns = router.urls
