"""The admin's login and "Change password" pages: Django's own views and templates, through
``AdminLoginForm`` (the sign-in service) and ``AdminPasswordChangeForm`` (the password-change
service), plus what a form cannot do to its response — hand the browser its device token as an
HttpOnly cookie after a sign-in, and answer 429 with ``Retry-After`` while the account is locked or
the address is over the per-IP sign-in ceiling (``login_ip``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse

from apps.users import lockout
from apps.users.admin import LOGIN_OUTCOME_ATTR, AdminPasswordChangeForm


def admin_login(request: HttpRequest) -> HttpResponse:
    response = admin.site.login(request)
    outcome = getattr(request, LOGIN_OUTCOME_ATTR, None) or {}
    if "retry_after" in outcome:
        response.status_code = 429
        response["Retry-After"] = str(outcome["retry_after"])
    elif outcome.get("device_token") and response.status_code == 302:
        lockout.device_cookie_set(response, outcome["device_token"])
    return response


class _PasswordChangeView(PasswordChangeView):
    form_class = AdminPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


def _password_change(request: HttpRequest) -> HttpResponseBase:
    """``AdminSite.password_change`` with the form that goes through the service."""
    site = admin.site
    request.current_app = site.name
    options: dict[str, Any] = {
        "success_url": reverse("admin:password_change_done", current_app=site.name),
        "extra_context": site.each_context(request),
    }
    if site.password_change_template is not None:
        options["template_name"] = site.password_change_template
    response = _PasswordChangeView.as_view(**options)(request)
    outcome = getattr(request, LOGIN_OUTCOME_ATTR, None) or {}
    if "retry_after" in outcome:
        response.status_code = 429
        response["Retry-After"] = str(outcome["retry_after"])
    return response


#: ``/admin/password_change/``: staff only, CSRF-protected, never cached (the site's own wrapper).
admin_password_change = admin.site.admin_view(_password_change)
