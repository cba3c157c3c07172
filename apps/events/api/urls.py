"""Routes of the events API (mounted under /api/v1/)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from apps.events.api import views

router = SimpleRouter()
router.register("events", views.EventViewSet, basename="event")
router.register(r"events/(?P<event_id>[^/.]+)/media", views.EventMediaViewSet, basename="event-media")
router.register(r"events/(?P<event_id>[^/.]+)/links", views.EventLinkViewSet, basename="event-link")
router.register(r"events/(?P<event_id>[^/.]+)/food-options", views.FoodOptionViewSet, basename="event-food-option")
router.register(r"events/(?P<event_id>[^/.]+)/sponsors", views.SponsorViewSet, basename="event-sponsor")
router.register("public/events", views.PublicEventViewSet, basename="public-event")

urlpatterns = router.urls
