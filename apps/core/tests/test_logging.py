"""Request ids on every line (accepted, echoed, generated) and secrets never written out."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.conf import settings

from apps.core.logging import RedactSecretsFilter, RequestIdFilter, redact, request_id_var

pytestmark = pytest.mark.urls("apps.core.tests.urls")


def test_request_id_is_accepted_and_echoed(client):
    response = client.get("/health/live/", HTTP_X_REQUEST_ID="lb-abc.123:9")
    assert response["X-Request-ID"] == "lb-abc.123:9"


@pytest.mark.parametrize("incoming", [None, "", "has space", "new\nline", "x" * 65, "<script>"])
def test_request_id_is_generated_when_missing_or_unsafe(client, incoming):
    headers = {"HTTP_X_REQUEST_ID": incoming} if incoming is not None else {}
    response = client.get("/health/live/", **headers)
    generated = response["X-Request-ID"]
    assert generated != incoming
    assert len(generated) == 32 and generated.isalnum()


@pytest.mark.django_db
def test_request_id_on_error_responses(client):
    response = client.get("/api/nothing/", HTTP_X_REQUEST_ID="trace-1")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-1"


@pytest.mark.django_db
def test_request_id_is_on_log_records_written_during_the_request(client, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.ERROR):
        client.get("/api/test/plain-boom/", HTTP_X_REQUEST_ID="trace-42")
    records = [r for r in caplog.records if r.name == "augeo.api"]
    assert records and all(r.request_id == "trace-42" for r in records)
    assert request_id_var.get() == "-"  # reset after the request


def _json_handler() -> tuple[logging.Handler, io.StringIO]:
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    json_config = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(json_config["fmt"], rename_fields=json_config["rename_fields"]))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactSecretsFilter())
    return handler, stream


def test_json_lines_carry_the_request_id_and_redact_secrets():
    handler, stream = _json_handler()
    logger = logging.getLogger("augeo.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id_var.set("rid-7")
    try:
        logger.warning("login for %s with password=%s", "a@example.org", "hunter2")
        logger.warning("header", extra={"authorization": "Bearer abc.def.ghi", "payload": {"refresh": "r", "ok": 1}})
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["request_id"] == "rid-7" and first["level"] == "WARNING" and first["logger"] == "augeo.test.json"
    assert "hunter2" not in first["message"] and "a@example.org" in first["message"]
    assert second["authorization"] == "[REDACTED]"
    assert second["payload"] == {"refresh": "[REDACTED]", "ok": 1}


@pytest.mark.django_db
def test_django_request_log_has_no_body_query_or_headers(client):
    """django.request's records carry the request object; only "METHOD /path" is written."""
    handler, stream = _json_handler()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.post(
            "/plain-boom/?token=secret-token-value",
            data={"password": "hunter2-secret"},
            HTTP_AUTHORIZATION="Bearer sekrit.jwt.value",
        )
    except RuntimeError:
        pass
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert text, "django.request logged nothing"
    for secret in ("secret-token-value", "hunter2-secret", "sekrit.jwt.value"):
        assert secret not in text
    record = json.loads(text.splitlines()[0])
    assert record["request"] == "POST /plain-boom/"


@pytest.mark.parametrize(
    ("raw", "leaked"),
    [
        ("Authorization: Bearer abc.def.ghi", "abc.def"),
        ('{"password": "hunter2", "email": "a@b.c"}', "hunter2"),
        ("GET /api/v1/auth/verify/?token=abcdef&x=1", "abcdef"),
        ("new_password='s3cret!'", "s3cret"),
        ("refresh=eyJhbGciOi.x.y rest", "eyJhbGciOi"),
        ("api_key: k-123", "k-123"),
        ("Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ],
)
def test_redact(raw, leaked):
    cleaned = redact(raw)
    assert leaked not in cleaned
    assert "[REDACTED]" in cleaned


def test_redact_leaves_ordinary_text():
    assert redact("user a@example.org placed a bid of 125.00") == "user a@example.org placed a bid of 125.00"


def test_logging_config_covers_django_and_has_no_mail_admins():
    assert settings.LOGGING["loggers"]["django"] == {"handlers": [], "level": "INFO", "propagate": True}
    assert set(settings.LOGGING["handlers"]["console"]["filters"]) == {"request_id", "redact"}
    assert not logging.getLogger("django").handlers


@pytest.mark.django_db
def test_djangos_response_log_line_carries_the_request_id(client):
    """django.request logs 404s after the middleware chain returned; the id comes from the request."""
    handler, stream = _json_handler()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/api/v1/nope/", HTTP_X_REQUEST_ID="trace-404")
    finally:
        logger.removeHandler(handler)
    record = json.loads(stream.getvalue().splitlines()[0])
    assert record["request_id"] == "trace-404"
    assert record["status_code"] == 404


def _django_request_lines(status_code: int, *, level: int | None = None) -> list[dict]:
    """What the configured ``django.request`` logger writes for a response of ``status_code``, as
    Django's ``log_response`` logs it (a warning with the status and the request)."""
    from django.test import RequestFactory

    handler, stream = _json_handler()
    logger = logging.getLogger("django.request")
    before = logger.level
    logger.addHandler(handler)
    if level is not None:
        logger.setLevel(level)
    try:
        request = RequestFactory().post("/api/v1/items/x/bids/")
        logger.warning("Conflict: %s", request.path, extra={"status_code": status_code, "request": request})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_conflict_is_no_warning():
    """A refused bid (409) is not written at the default levels; a 404, a 429 or a 500 still is."""
    assert _django_request_lines(409) == []
    for status_code in (400, 404, 429, 500):
        lines = _django_request_lines(status_code)
        assert [line["status_code"] for line in lines] == [status_code]
        assert lines[0]["level"] == "WARNING"


def test_a_conflict_is_written_at_debug_when_asked():
    lines = _django_request_lines(409, level=logging.DEBUG)
    assert [(line["level"], line["status_code"]) for line in lines] == [("DEBUG", 409)]


def test_uvicorn_lines_lose_their_query_string_whatever_handler_writes_them():
    """uvicorn logs each WebSocket handshake with the URL; under gunicorn its loggers have gunicorn's
    handlers (no redaction filter). The filter sits on the logger itself (settings ``LOGGING``)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a handler of its own, like gunicorn's: no filters
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    before = logger.level
    logger.setLevel(logging.INFO)
    try:
        logger.info('%s - "WebSocket %s" [accepted]', "203.0.113.7:5000", "/ws/events/1/?token=eyJ.secret.sig&x=1")
        logger.info("%s - %s", "not a path?", 5)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
    lines = stream.getvalue().splitlines()
    assert lines == ['203.0.113.7:5000 - "WebSocket /ws/events/1/?[REDACTED]" [accepted]', "not a path? - 5"]


def test_uvicorn_loggers_go_through_the_root_handler():
    for name in ("uvicorn.error", "uvicorn.access"):
        config = settings.LOGGING["loggers"][name]
        assert config["handlers"] == [] and config["propagate"] is True and "no_query_string" in config["filters"]
    assert settings.LOGGING["loggers"]["uvicorn"] == {"handlers": [], "propagate": True}
