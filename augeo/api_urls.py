"""Everything under /api/v1/: one include per app, each app owning its own routes."""

from django.urls import include, path

from apps.core.api.views import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("apps.users.api.urls")),
    path("", include("apps.npos.api.urls")),
    path("", include("apps.events.api.urls")),
    path("", include("apps.attendance.api.urls")),
    path("", include("apps.auctions.api.urls")),
    path("", include("apps.checkout.api.urls")),
    path("", include("apps.legal.api.urls")),
]
