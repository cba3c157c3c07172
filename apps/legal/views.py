"""The two consent pages ``ConsentMiddleware`` (``apps.legal.gate``) sends a signed-in user who still
has to accept the published terms or privacy policy to: the admin's ``/admin/consent/`` (staff, in the
admin's frame) and the plain ``/consent/`` (everyone else, the donor pages' layout). Both show the
documents to accept, record the acceptance through the same service as
``POST /api/v1/consent/accept/``, and go back to the page the user wanted (``?next=``: inside the
admin for the admin's page, any page of this site for the plain one; never the consent page itself).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.legal.gate import consent_missing
from apps.legal.models import DocumentType
from apps.legal.services import consent
from apps.legal.versions import Version


def _next_url(request: HttpRequest, *, within: str, default: str, own: str) -> str:
    """``?next=`` when it stays on this site under ``within`` and is not the consent page ``own``."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe or not wanted.startswith(within) or wanted.startswith(own):
        return default
    return wanted


def _consent_step(
    request: HttpRequest, next_url: str, render_page: Callable[[dict[str, Any]], HttpResponse]
) -> HttpResponse:
    """Show what is missing; on a ticked POST, record the acceptance and go to ``next_url``."""
    current = consent.current_documents()
    missing = consent_missing(request.user, {t: Version(d.major, d.minor) for t, d in current.items()})
    if not missing:
        return HttpResponseRedirect(next_url)
    error = ""
    if request.method == "POST":
        if request.POST.get("agree") != "yes":
            error = "Tick the box to confirm that you have read and accept the documents."
        else:
            try:
                consent.consent_accept(
                    user=request.user,  # type: ignore[arg-type]
                    terms_version=request.POST.get("terms_version") if "terms" in missing else None,
                    privacy_version=request.POST.get("privacy_version") if "privacy" in missing else None,
                    ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except DomainError as exc:  # e.g. a newer version was published while the page was open
                error = exc.message
            else:
                messages.success(request, "Thank you; your acceptance has been recorded.")
                return HttpResponseRedirect(next_url)
    return render_page(
        {
            "title": "Terms of service and privacy policy",
            "documents": [current[t] for t in DocumentType.values if t in missing],
            "next": next_url,
            "error": error,
        }
    )


def _admin_consent(request: HttpRequest) -> HttpResponse:
    index = reverse("admin:index")
    next_url = _next_url(request, within=index, default=index, own=reverse("admin-consent"))

    def render_page(context: dict[str, Any]) -> HttpResponse:
        # A gate, not a page of the admin: no navigation sidebar leading elsewhere.
        context = {**admin.site.each_context(request), **context, "is_nav_sidebar_enabled": False}
        return TemplateResponse(request, "admin/legal/consent.html", context)

    return _consent_step(request, next_url, render_page)


admin_consent = admin.site.admin_view(_admin_consent)


@never_cache
@require_http_methods(["GET", "POST"])
def consent_page(request: HttpRequest) -> HttpResponse:
    """``/consent/``: the same step for a signed-in person outside the admin."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("sign-in"))
    next_url = _next_url(request, within="/", default="/", own=reverse("consent-page"))
    return _consent_step(request, next_url, lambda context: render(request, "pages/consent.html", context))
