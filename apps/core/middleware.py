"""Request-level middleware: the request id, and the guarantee of "never an HTML error page under /api/".

``RequestIdMiddleware`` accepts ``X-Request-ID`` (when sane) or generates one, puts it on every log
line (``apps.core.logging``) and echoes it back.

``ApiErrorMiddleware`` covers what DRF's exception handler cannot see: exceptions raised by plain
Django views under ``/api/``, Django's own error pages (the technical 404/500 pages that DEBUG shows,
a CSRF or ``DisallowedHost`` 400/403 rendered by another middleware) and oversized bodies. DRF
answers its own errors already; its responses pass through untouched.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from apps.core.api.exceptions import error_body, error_parts, status_body
from apps.core.errors import ErrorCode
from apps.core.logging import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class RequestIdMiddleware:
    """Tags the request (and every log line written while serving it) with a request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        # Client-supplied ids end up in logs: anything that could forge a log line is replaced.
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _max_body_bytes(content_type: str) -> int:
    """Uploads (multipart) may be as large as the largest accepted file plus form overhead; any other
    body (JSON) is bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``, which DRF's parsers do not enforce."""
    if content_type.startswith("multipart/"):
        return int(getattr(settings, "AUGEO_MAX_REQUEST_BYTES", 0) or 0) or (
            max(settings.AUGEO_MAX_EVENT_MEDIA_BYTES, settings.AUGEO_MAX_MEDIA_BYTES) + 1024 * 1024
        )
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or 2**62


class ApiErrorMiddleware:
    """Every error under ``/api/`` answers the JSON envelope, whatever raised it and even with DEBUG on.

    * a body larger than the limit is refused with 413 ``FILE_TOO_LARGE`` before anything reads it;
    * an exception escaping a non-DRF view becomes the envelope (500 ``INTERNAL_ERROR`` for the
      unexpected, logged server-side with its traceback; 503 for ``OperationalError``);
    * any other error response under ``/api/`` that is not already JSON (Django's 404 page, the
      technical 500 page, ``DisallowedHost``'s 400) is replaced by the envelope for its status.

    Sits right after ``RequestIdMiddleware`` so it sees the final response of everything inside it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            # Real servers refuse this before Django; answer it here too rather than crash later.
            return JsonResponse(
                error_body(ErrorCode.VALIDATION_ERROR, "Invalid Content-Length.", fields={}), status=400
            )
        if length > _max_body_bytes(request.META.get("CONTENT_TYPE", "")):
            return JsonResponse(error_body(ErrorCode.FILE_TOO_LARGE, "The request body is too large."), status=413)
        response = self.get_response(request)
        if response.status_code >= 400 and not self._is_envelope(response):
            return self._envelope_for(response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api(request):
            return None
        status, body, headers = error_parts(exception)
        response = JsonResponse(body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response

    @staticmethod
    def _is_envelope(response: HttpResponse) -> bool:
        content_type = response.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return True
        # The browsable API renders DRF's (already enveloped) error data as HTML for browsers.
        renderer = getattr(response, "accepted_renderer", None)
        return renderer is not None and getattr(renderer, "format", "") == "api"

    @staticmethod
    def _envelope_for(response: HttpResponse) -> HttpResponse:
        data = getattr(response, "data", None)
        body = data if isinstance(data, dict) and "error" in data else status_body(response.status_code)
        replacement = JsonResponse(body, status=response.status_code)
        for name in ("Retry-After", "Allow", "WWW-Authenticate", "X-Request-ID"):
            if name in response:
                replacement[name] = response[name]
        return replacement


def _has_nul(request: HttpRequest) -> bool:
    return "\x00" in request.path_info or any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
    )


class NulByteGuardMiddleware:
    """Refuses (400) a request whose path or query string contains a NUL character.

    Search boxes, filters and lookups turn query parameters into SQL parameters, and PostgreSQL text
    cannot hold a NUL: psycopg raises ``DataError`` while the page is built — a server error for a
    mistyped or hostile address, on every admin changelist (Django's and third-party ones too) and
    every filtered API list. Refusing it here covers them all at once. Request bodies are already
    covered: form and serializer fields reject NULs (``ProhibitNullCharactersValidator``), and the
    API maps any remaining ``DataError`` to 400.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            message = "NUL characters are not allowed in the address."
            if is_api(request):
                return JsonResponse(
                    error_body(ErrorCode.VALIDATION_ERROR, message, fields={"query": [message]}), status=400
                )
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


#: What a view sets on its response to change or drop the policy (django-csp's decorators).
_CSP_CUSTOMISED = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@functools.cache
def _csp_headers() -> tuple[tuple[str, str], ...] | None:
    """The headers django-csp builds from the settings alone: ``(name, value)`` of the policy and of
    the report-only policy, each when configured; ``None`` when they depend on the path (excluded
    URL prefixes)."""
    policies = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    if any((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") for name in policies):
        return None
    built = ((HEADER, build_policy()), (HEADER_REPORT_ONLY, build_policy(report_only=True)))
    return tuple((name, value) for name, value in built if value)


@receiver(setting_changed)
def _csp_settings_changed(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _csp_headers.cache_clear()


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware with the headers built once.

    django-csp builds both policies from the settings for every response, 150 µs (3 % of a
    ``users/me`` request), though they only differ per response when a view customised or
    exempted them (django-csp's decorators set ``_csp_*`` on the response), a page used a nonce, URL
    prefixes are excluded or ``DEBUG`` exempts error pages. Those go through django-csp unchanged;
    every other response gets the headers it built once from the settings (rebuilt when a test
    overrides them). A test holds both paths to django-csp's own headers."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        headers = _csp_headers()
        if (
            headers is None
            or settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _CSP_CUSTOMISED)
        ):
            return super().process_response(request, response)
        for name, value in headers:
            if name not in response:
                response[name] = value
        # As django-csp does: a nonce asked for after the header is written is an error, not a no-op.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
