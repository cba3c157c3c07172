"""The consent gate (legal.md "Consent"): one rule, enforced in three places.

* **The rule** — :func:`consent_missing`: the published documents (per type) the user has not
  accepted. A type counts as accepted when the user accepted its current version or any version
  with the same MAJOR number (a minor version is a clarification). No published documents → nothing
  is missing. It reads the user row and the per-process memo of current versions
  (:mod:`apps.legal.versions`): no query on the hot path.
* **The API** — :func:`api_gate`, a request gate of the project's base views (registered in
  ``LegalConfig.ready`` with :func:`apps.core.api.base.register_gate`): right after authentication
  (401 first, then this, then permissions) a signed-in caller who still has to accept answers 409
  ``CONSENT_REQUIRED`` with ``required: {type: version}``. Every ``/api/v1/`` view inherits those
  bases (a URL-conf test fails for one that does not), so no view has code of its own for it; a
  Django middleware could not see JWT users (DRF authenticates inside the view).
* **Pages** — :class:`ConsentMiddleware` sends a signed-in user who has to accept, from any page that
  is not the API, to a page where they accept, which brings them back where they were: the admin's
  ``/admin/consent/`` from inside the admin (staff), the plain ``/consent/`` from every other page
  (the invitation pages, my registration, the display). Exempt: the two consent pages, signing in,
  up and out, the e-mail link pages for the account (verify, reset password), static and media files,
  health checks, ``/metrics`` and ``/api/`` (its own gate above; the schema and docs are documentation).
* **Sockets** — ``apps.live`` treats a user for whom :func:`consent_required` is true as anonymous
  on the live WebSocket (``apps.live.auth.socket_gated`` asks :func:`consent_required`).

Exempt (legal.md): authentication (``/api/v1/auth/…``), ``GET /api/v1/users/me/`` and the legal,
consent, cookie, privacy and public endpoints — a gated person can still sign in and out, read what
to accept, accept it, export their data or delete their account. Only ``/api/v1/`` is gated (the
schema and Swagger UI are documentation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.legal.versions import Version, current_versions, version_or_none

API_PREFIX = "/api/v1/"
EXEMPT_PREFIXES = ("auth/", "legal/", "consent/", "cookies/", "privacy/", "public/")
#: Exempt for reading only: a gated person may see who they are signed in as, not change it.
EXEMPT_READS = frozenset({"users/me/"})
READ_METHODS = frozenset({"GET", "HEAD"})

#: The user columns holding the accepted version of each document type.
ACCEPTED_FIELDS = {"terms": "consent_terms_version", "privacy": "consent_privacy_version"}
DOCUMENT_NAMES = {"terms": "terms of service", "privacy": "privacy policy"}


def accepted_version(user: Any, document_type: str) -> Version | None:
    return version_or_none(getattr(user, ACCEPTED_FIELDS[document_type], ""))


def is_accepted(accepted: Version | None, current: Version) -> bool:
    """Accepted the current version or one with the same MAJOR. (A higher MAJOR than the current
    one can only be a process whose memo is a few seconds old: counted as accepted.)"""
    return accepted is not None and accepted.major >= current.major


def consent_missing(user: Any, current: dict[str, Version] | None = None) -> dict[str, str]:
    """``{type: version to accept}`` for every published document ``user`` has not accepted."""
    if current is None:
        current = current_versions()
    if not current:
        return {}
    return {
        document_type: str(version)
        for document_type, version in current.items()
        if not is_accepted(accepted_version(user, document_type), version)
    }


def consent_required(user: Any) -> bool:
    """True while ``user`` has to accept a published document (the pages' and sockets' question)."""
    return bool(consent_missing(user))


class ConsentRequired(Conflict):
    """409 ``CONSENT_REQUIRED``: accept the listed versions first (``POST /api/v1/consent/accept/``)."""

    def __init__(self, missing: dict[str, str]) -> None:
        listed = " and ".join(f"the {DOCUMENT_NAMES.get(t, t)} (version {v})" for t, v in sorted(missing.items()))
        super().__init__(
            ErrorCode.CONSENT_REQUIRED,
            f"Accept {listed} first: POST /api/v1/consent/accept/.",
            required=dict(sorted(missing.items())),
        )


def api_call_exempt(path: str, method: str) -> bool:
    """True for paths the gate never refuses (see the module docstring)."""
    if not path.startswith(API_PREFIX):
        return True
    rest = path[len(API_PREFIX) :]
    if rest.startswith(EXEMPT_PREFIXES):
        return True
    return rest in EXEMPT_READS and method in READ_METHODS


def api_gate(request: Any) -> None:
    """Raise :class:`ConsentRequired` for a signed-in caller who has to accept first."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    if api_call_exempt(request.path_info, request.method or ""):
        return
    missing = consent_missing(user)
    if missing:
        raise ConsentRequired(missing)


def gate_schema_statuses(schema: Any) -> list[str]:
    """For the OpenAPI schema (``apps.core.api.schema.EXTRA_ERROR_STATUSES``): an operation a
    signed-in caller can reach outside the exempt list may answer 409 ``CONSENT_REQUIRED``."""
    if not getattr(schema.view, "authentication_classes", None):
        return []
    return [] if api_call_exempt(schema.path, schema.method) else ["409"]


# --- pages ------------------------------------------------------------------------------------------


def admin_consent_url(next_url: str) -> str:
    return f"{reverse('admin-consent')}?{urlencode({'next': next_url})}"


def page_consent_url(next_url: str) -> str:
    return f"{reverse('consent-page')}?{urlencode({'next': next_url})}"


#: Never gated: the API has its own gate; files, probes and metrics are not pages for people.
EXEMPT_PAGE_PREFIXES = ("/api/", "/health/", "/metrics", "/favicon.ico")
#: Pages (by URL name) a gated person must still reach: where they accept, and their account's way
#: in and out.
EXEMPT_PAGE_NAMES = (
    "consent-page",
    "admin-consent",
    "sign-in",
    "sign-up",
    "sign-out",
    "verify-email",
    "reset-password",
    "admin:login",
    "admin:logout",
    "admin:jsi18n",
)


class ConsentMiddleware:
    """Sends a signed-in user who has to accept the published terms or privacy policy to a consent
    page before any other page (see the module docstring), with ``?next=`` to come back. Inside the
    admin only staff are sent (to the admin's consent page); the admin turns others away itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._paths: tuple[str, tuple[str, ...], frozenset[str]] | None = None

    def _exempt(self) -> tuple[str, tuple[str, ...], frozenset[str]]:
        if self._paths is None:
            prefixes = tuple(p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p and p.startswith("/"))
            self._paths = (
                reverse("admin:index"),
                EXEMPT_PAGE_PREFIXES + prefixes,
                frozenset(reverse(name) for name in EXEMPT_PAGE_NAMES),
            )
        return self._paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_prefix, prefixes, pages = self._exempt()
        path = request.path_info
        # The path first: an API call (a bid) must not pay for loading the session's user here.
        if path not in pages and not path.startswith(prefixes):
            user = request.user
            in_admin = path.startswith(admin_prefix)
            if user.is_authenticated and (not in_admin or user.is_staff) and consent_required(user):
                target = admin_consent_url if in_admin else page_consent_url
                return HttpResponseRedirect(target(request.get_full_path()))
        return self.get_response(request)
