"""Routes of the live app's API (mounted under /api/v1/)."""

from django.urls import path

from apps.live.api import views

urlpatterns = [
    path("live/tickets/", views.TicketView.as_view(), name="live-tickets"),
]
