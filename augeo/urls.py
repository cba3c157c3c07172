from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from apps.core import views as core_views
from apps.core.api.views import CachedSchemaView
from apps.legal import views as legal_views
from apps.users import views as users_views

urlpatterns = [
    # Before admin.site.urls: the admin's login goes through the one sign-in service (lockout).
    path("admin/login/", users_views.admin_login, name="admin-login"),
    # Likewise "Change password": the current password counts with the sign-in lockout.
    path("admin/password_change/", users_views.admin_password_change, name="admin-password-change"),
    # The consent page a staff user who has to accept the legal documents is sent to (apps.legal.gate).
    path("admin/consent/", legal_views.admin_consent, name="admin-consent"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("augeo.api_urls")),
    path("api/schema/", CachedSchemaView.as_view(), name="schema"),
    # Swagger UI from the app's own static files (drf-spectacular-sidecar) and with its start-up
    # script as a separate file, so it works offline and under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("health/live/", core_views.health_live, name="health-live"),
    path("health/ready/", core_views.health_ready, name="health-ready"),
    path("metrics", core_views.metrics, name="prometheus-django-metrics"),
    path("", include("apps.live.urls")),  # /events/{slug}/display/ (the projector)
    path("", include("augeo.pages_urls")),  # /, e-mail link pages, my registration
]

if settings.DEBUG:
    from django.conf.urls.static import static

    from apps.core.uploads import serve_media

    # Non-images are served as downloads (Content-Disposition: attachment), see serve_media.
    urlpatterns += static(settings.MEDIA_URL, view=serve_media, document_root=settings.MEDIA_ROOT)

handler400 = "apps.core.views.bad_request"
# Inside /admin/ these render in the admin's frame (reason + a way back); elsewhere apps.core.views.
handler403 = "augeo.backoffice.site.permission_denied"
handler404 = "augeo.backoffice.site.page_not_found"
handler500 = "apps.core.views.server_error"
