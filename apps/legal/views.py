"""The admin's consent page (``/admin/consent/``): where ``AdminConsentMiddleware`` sends a staff user
who still has to accept the published terms or privacy policy. It shows the documents to accept,
records the acceptance through the same service as ``POST /api/v1/consent/accept/``, and goes back
to the page the user wanted (``?next=``, only a path inside the admin)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.legal.gate import consent_missing
from apps.legal.models import DocumentType
from apps.legal.services import consent
from apps.legal.versions import Version


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    index = reverse("admin:index")
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe or not wanted.startswith(index) or wanted.startswith(reverse("admin-consent")):
        return index
    return wanted


def _admin_consent(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
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
    context = {
        **admin.site.each_context(request),
        "title": "Terms of service and privacy policy",
        # A gate, not a page of the admin: no navigation sidebar leading elsewhere.
        "is_nav_sidebar_enabled": False,
        "documents": [current[t] for t in DocumentType.values if t in missing],
        "next": next_url,
        "error": error,
    }
    return TemplateResponse(request, "admin/legal/consent.html", context)


admin_consent = admin.site.admin_view(_admin_consent)
