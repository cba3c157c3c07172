"""Non-DRF views: health probes and error handlers that keep ``/api/`` free of HTML pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views import defaults
from django.views.csrf import csrf_failure as default_csrf_failure
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView

from apps.core.api.exceptions import error_body
from apps.core.errors import ErrorCode
from apps.core.health import ready_checks
from apps.core.middleware import is_api as _is_api
from apps.core.net import client_ip, in_networks, parse_networks
from apps.core.queue_metrics import queue_metrics_text


@never_cache
def health_live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no dependency, so a database outage never restarts pods."""
    return JsonResponse({"status": "ok"})


def is_monitoring(request: HttpRequest) -> bool:
    """The caller is the monitoring system: ``Authorization: Bearer <METRICS_TOKEN>`` (when a token
    is configured) or an address in ``METRICS_ALLOWED_CIDRS`` (default loopback), the client address
    as ``apps.core.net.client_ip`` sees it, so a forged ``X-Forwarded-For`` does not help."""
    token = str(getattr(settings, "METRICS_TOKEN", "") or "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.partition(" ")
    if token and scheme.lower() == "bearer" and constant_time_compare(credentials.strip(), token):
        return True
    allowed = parse_networks(tuple(getattr(settings, "METRICS_ALLOWED_CIDRS", ()) or ()))
    return in_networks(client_ip(request), allowed)


@never_cache
def health_ready(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache, storage and the task queue; 200, or 503 naming what is down.

    What a caller sees (api.md: "a check per dependency"): anyone gets the status and one word per
    dependency — ``{"status": "ok", "checks": {"database": "ok", …}}``, or 503 ``{"status":
    "unavailable", "failing": ["cache"], "checks": {"cache": "down", …}}`` — enough for a load
    balancer. Error class names, latencies and the task-queue figures (depth, oldest task) are
    internals, shown only to the monitoring system (:func:`is_monitoring`, the same rule as
    ``/metrics``): ``checks`` then maps each name to ``{"status", "ms" | "error", …}``. The checks'
    result is reused for a few seconds per process (``apps.core.health.ready_checks``), so this
    public, unthrottled path costs the dependencies next to nothing however often it is called.
    """
    checks = ready_checks()
    failing = [name for name, result in checks.items() if result["status"] != "ok"]
    shown: dict[str, Any] = dict(checks)
    if not is_monitoring(request):
        shown = {name: "down" if name in failing else "ok" for name in checks}
    if not failing:
        return JsonResponse({"status": "ok", "checks": shown})
    return JsonResponse({"status": "unavailable", "failing": failing, "checks": shown}, status=503)


def bad_request(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body(ErrorCode.VALIDATION_ERROR, "Bad request.", fields={}), status=400)
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def permission_denied(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body(ErrorCode.PERMISSION_DENIED, "You may not do this."), status=403)
    return defaults.permission_denied(request, exception)  # type: ignore[arg-type]


def page_not_found(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body(ErrorCode.NOT_FOUND, "Not found."), status=404)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body(ErrorCode.INTERNAL_ERROR, "An unexpected error occurred."), status=500)
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body(ErrorCode.PERMISSION_DENIED, f"CSRF check failed: {reason}"), status=403)

    return default_csrf_failure(request, reason)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for the monitoring system only: a request passes with
    ``Authorization: Bearer <METRICS_TOKEN>`` (when a token is configured) or from an address in
    ``METRICS_ALLOWED_CIDRS`` (default loopback; the client address as ``apps.core.net.client_ip``
    sees it, so a forged ``X-Forwarded-For`` does not help; :func:`is_monitoring`). Anything else is
    403 — the counters (funds raised, bid volume) are business data."""
    if not is_monitoring(request):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain; charset=utf-8")

    response = ExportToDjangoView(request)
    response.content = response.content + queue_metrics_text()
    return response
