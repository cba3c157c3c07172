"""Pages of the live app (mounted at the site root by augeo/urls.py)."""

from django.urls import path

from apps.live import views

urlpatterns = [
    path("events/<slug:slug>/display/", views.display, name="live-display"),
    path("events/<slug:slug>/display/state/", views.display_state_json, name="live-display-state"),
]
