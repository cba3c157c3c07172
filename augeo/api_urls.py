"""Everything under /api/v1/: one include per app, each app owning its own routes."""

from django.urls import include, path

from apps.core.api.views import ApiRootView

# Order: the routes phones poll all night first (users/me, the catalogue and bids, check-in search) —
# Django tries the patterns in order for every request. No two apps' patterns overlap, so the order
# changes nothing else.
urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("apps.users.api.urls")),
    path("", include("apps.auctions.api.urls")),
    path("", include("apps.attendance.api.urls")),
    path("", include("apps.events.api.urls")),
    path("", include("apps.npos.api.urls")),
    path("", include("apps.checkout.api.urls")),
    path("", include("apps.legal.api.urls")),
    path("", include("apps.live.api.urls")),
]
