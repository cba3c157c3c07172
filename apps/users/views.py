"""The admin's login page: Django's own view and template, through ``AdminLoginForm`` (the sign-in
service), plus what a form cannot do to its response — hand the browser its device token as an
HttpOnly cookie after a success, and answer 429 with ``Retry-After`` while the account is locked or
the address is over the per-IP sign-in ceiling (``login_ip``)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from apps.users import lockout
from apps.users.admin import LOGIN_OUTCOME_ATTR


def admin_login(request: HttpRequest) -> HttpResponse:
    response = admin.site.login(request)
    outcome = getattr(request, LOGIN_OUTCOME_ATTR, None) or {}
    if "retry_after" in outcome:
        response.status_code = 429
        response["Retry-After"] = str(outcome["retry_after"])
    elif outcome.get("device_token") and response.status_code == 302:
        lockout.device_cookie_set(response, outcome["device_token"])
    return response
