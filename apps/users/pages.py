"""Account pages behind the e-mail links, server-rendered and plain: sign in, sign up,
sign out, verify e-mail, choose a new password. They call the same services as the API
(``auth_login`` with its lockout, ``user_register``, ``email_verify``, ``password_reset_confirm``); a GET
never changes state — the verification link opens a page whose button POSTs.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.core.throttling import LoginIPRateThrottle, throttle_wait
from apps.users import hooks, lockout
from apps.users.errors import AccountLocked
from apps.users.services.accounts import email_verify, user_register
from apps.users.services.sessions import auth_login, password_reset_confirm


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """``?next=`` when it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


class SignInForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SignUpForm(forms.Form):
    first_name = forms.CharField(max_length=60, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=60, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class NewPasswordForm(forms.Form):
    password = forms.CharField(label="New password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label="New password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


def _field_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal shown on the form: per field when it names fields, else on top."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in through ``auth_login`` (lockout, device token, audit), then a session. Every POST
    counts against the API's per-IP ceiling (``login_ip``): 429 with ``Retry-After`` beyond it."""
    next_url = safe_next(request)
    form = SignInForm(request.POST or None)
    context = {"form": form, "next": next_url, "title": "Sign in"}
    if request.method == "POST" and (wait := throttle_wait(LoginIPRateThrottle, request)) is not None:
        form.add_error(None, f"Too many sign-in attempts from your network; try again in {wait} second(s).")
        response = render(request, "pages/sign_in.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    if request.method == "POST" and form.is_valid():
        try:
            result = auth_login(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
                device_token=lockout.device_token_from(request),
            )
        except AccountLocked as exc:
            minutes = max(1, round(exc.retry_after / 60))
            form.add_error(None, f"Too many failed sign-in attempts; try again in about {minutes} minute(s).")
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
            response = HttpResponseRedirect(next_url)
            lockout.device_cookie_set(response, result.device_token)
            return response
    return render(request, "pages/sign_in.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account (``user_register``); the verification e-mail leads back to ``next``."""
    next_url = safe_next(request)
    versions = hooks.signup_terms().current()  # published legal documents must be accepted to sign up
    form = SignUpForm(request.POST or None)
    if versions:
        names = {"terms": "the Terms", "privacy": "the Privacy policy"}
        listed = " and ".join(f"{names.get(t, t)} (version {v})" for t, v in sorted(versions.items()))
        form.fields["accept"] = forms.BooleanField(label=f"I accept {listed}")
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "accept"}
        accepted = {f"accept_{t}_version": str(v) for t, v in versions.items() if t in ("terms", "privacy")}
        try:
            user = user_register(
                ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300], **data, **accepted
            )
        except DomainError as exc:
            _field_errors(form, exc)
        else:
            return render(
                request, "pages/signed_up.html", {"email": user.email, "next": next_url, "title": "Check your inbox"}
            )
    return render(request, "pages/sign_up.html", {"form": form, "next": next_url, "title": "Create an account"})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect("/")


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest) -> HttpResponse:
    """GET shows a button; the POST verifies (``email_verify``) — mail scanners that open links
    change nothing."""
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    context: dict[str, Any] = {"token": token, "title": "Confirm your e-mail address"}
    if request.method == "POST":
        try:
            user = email_verify(token=token, ip=client_ip(request))
        except DomainError as exc:
            context["error"] = exc.message
        else:
            context.update(done=True, email=user.email)
    return render(request, "pages/verify_email.html", context, status=400 if "error" in context else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest) -> HttpResponse:
    """The new-password form of a reset link (``password_reset_confirm``: every session ends)."""
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    form = NewPasswordForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "token": token, "title": "Choose a new password"}
    if request.method == "POST" and form.is_valid():
        try:
            user = password_reset_confirm(token=token, password=form.cleaned_data["password"], ip=client_ip(request))
        except DomainError as exc:
            _field_errors(form, exc)
        else:
            context.update(done=True, email=user.email)
    return render(request, "pages/reset_password.html", context)
