"""The back office's AdminSite: branded "Augeo" — or with the NPO's name and logo for a
member of exactly one NPO —, an index that starts with **Tonight** (:mod:`augeo.backoffice.tonight`),
"View site" leading to the public front page, and 403/404 pages inside the admin's frame
(:func:`admin_error_page`, called by the project's error handlers for ``/admin/`` paths).

Every ModelAdmin stays on the tenant-scoped base in its own app; the site only frames and links them,
and routes the pages that are no model's: the check-in desk (``apps.attendance.desk``) and the
import page (:mod:`augeo.backoffice.imports`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from apps.attendance import desk
from apps.core import views as core_views
from apps.npos import authz
from augeo.backoffice import imports
from augeo.backoffice.tonight import tonight_for


def brand_for(user: Any) -> dict[str, Any]:
    """``{name, logo_url}``: the NPO's for a member of exactly one NPO (not super admins), else Augeo."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_superuser", False):
        return {"name": "Augeo", "logo_url": ""}
    cached = getattr(user, "_augeo_brand", None)
    if cached is not None:
        return dict(cached)
    npos = list(authz.memberships_of(user).select_related("npo").values_list("npo__name", "npo__logo")[:2])
    brand: dict[str, Any] = {"name": "Augeo", "logo_url": ""}
    if len(npos) == 1:
        name, logo = npos[0]
        brand = {"name": name, "logo_url": _logo_url(logo)}
    user._augeo_brand = brand
    return dict(brand)


def _logo_url(name: str) -> str:
    if not name:
        return ""
    try:
        return str(default_storage.url(name))
    except Exception:  # storage down: the name alone still brands the page
        return ""


class AugeoAdminSite(admin.AdminSite):
    site_header = "Augeo"
    site_title = "Augeo back office"
    index_title = "Back office"
    site_url = "/"
    index_template = "admin/augeo/index.html"
    # Unknown admin URLs answer 404 in the admin's frame (admin_error_page), not a redirect to login.
    final_catch_all_view = True

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        context["brand"] = brand_for(request.user)
        return context

    def task_context(self, request: HttpRequest) -> dict[str, Any]:
        """``each_context`` for the night's task pages (desk, clerk pages): no app list and no nav
        sidebar — building them asks every ModelAdmin for its permissions, ~45 queries a page. The
        pages ask for it through :func:`apps.npos.tenancy.admin.task_context`."""
        script_name = request.META["SCRIPT_NAME"]
        return {
            "site_title": self.site_title,
            "site_header": self.site_header,
            "site_url": script_name if self.site_url == "/" and script_name else self.site_url,
            "has_permission": self.has_permission(request),
            "available_apps": [],
            "is_popup": False,
            "is_nav_sidebar_enabled": False,
            "log_entries": [],
            "brand": brand_for(request.user),
        }

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        user = request.user
        may_import = user.is_superuser or any(
            authz.npo_ids_with(user, k.capability).exists() for k in imports.KINDS.values()
        )
        extra = {"tonight": tonight_for(user), "may_import": may_import, **(extra_context or {})}
        return super().index(request, extra_context=extra)

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "attendance/desk/<uuid:event_id>/",
                self.admin_view(desk.desk_view),
                name="attendance_checkin_desk",
            ),
            path(
                "attendance/desk/<uuid:event_id>/walk-in/",
                self.admin_view(desk.walk_in_view),
                name="attendance_checkin_walk_in",
            ),
            path("import/", self.admin_view(imports.import_view), name="augeo_import"),
        ]
        return urls + super().get_urls()


def admin_error_page(request: HttpRequest, status: int, reason: str) -> HttpResponse | None:
    """The 403/404 page inside the admin's frame, for a signed-in member on an ``/admin/`` path:
    what happened, why, and a link back. None for anyone else (the plain handler answers)."""
    user = getattr(request, "user", None)
    if not (user is not None and user.is_authenticated and user.is_active and user.is_staff):
        return None
    site = admin.site
    back = request.META.get("HTTP_REFERER") or ""
    if not back.startswith(request.build_absolute_uri("/")):  # only same-site referers
        back = ""
    context = {
        **site.each_context(request),
        "title": "You may not open this page" if status == 403 else "Page not found",
        "status": status,
        "reason": reason,
        "back_url": back,
    }
    response = TemplateResponse(request, "admin/augeo/error.html", context, status=status)
    response.render()
    return response


_REASONS = {
    403: "Your role does not include this page, or it belongs to another NPO. Ask an NPO admin if you need it.",
    404: "There is no such page, or the object was deleted or belongs to an NPO you are not a member of.",
}


def permission_denied(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> HttpResponse:
    """handler403: inside the admin, the admin's frame; everywhere else the project's handler."""
    if request.path.startswith("/admin/"):
        detail = str(exception or "").strip()
        page = admin_error_page(request, 403, detail or _REASONS[403])
        if page is not None:
            return page
    return core_views.permission_denied(request, exception, **kwargs)


def page_not_found(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> HttpResponse:
    """handler404: inside the admin, the admin's frame; everywhere else the project's handler."""
    if request.path.startswith("/admin/"):
        page = admin_error_page(request, 404, _REASONS[404])
        if page is not None:
            return page
    return core_views.page_not_found(request, exception, **kwargs)
