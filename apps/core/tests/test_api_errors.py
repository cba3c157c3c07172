"""The error envelope for every status under /api/ (api.md "Conventions"), DRF views or not."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.test import Client
from rest_framework import exceptions as drf
from rest_framework.test import APIClient

from apps.core.api.exceptions import error_parts, status_body

pytestmark = [pytest.mark.urls("apps.core.tests.urls"), pytest.mark.django_db]


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    return body["error"]


def test_validation_error_names_fields(api_client):
    response = api_client.post("/api/test/echo/", {"name": "much too long a name", "amount": "x"}, format="json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["fields"]) == {"name", "amount"}
    assert all(isinstance(m, str) for m in error["fields"]["amount"])
    assert error["message"].startswith("name: ")


def test_valid_body_passes(api_client):
    response = api_client.post("/api/test/echo/", {"name": "ok", "amount": "1.50"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"name": "ok", "amount": "1.50"}


def test_malformed_json_is_400(api_client):
    response = api_client.post("/api/test/echo/", data='{"name": ', content_type="application/json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert "body" in error["fields"]


def test_not_authenticated_vs_token_invalid(api_client):
    response = api_client.get("/api/test/private/")
    assert response.status_code == 401
    assert _error(response)["code"] == "NOT_AUTHENTICATED"
    assert response["WWW-Authenticate"].startswith("Bearer")

    response = api_client.get("/api/test/private/", HTTP_AUTHORIZATION="Bearer not.a.token")
    assert response.status_code == 401
    assert _error(response)["code"] == "TOKEN_INVALID"


def test_permission_denied(auth_client):
    response = auth_client.get("/api/test/forbidden/")
    assert response.status_code == 403
    assert _error(response)["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("conflict", 409, "EVENT_FULL"),
        ("django-validation", 400, "VALIDATION_ERROR"),
        ("django-404", 404, "NOT_FOUND"),
        ("django-403", 403, "PERMISSION_DENIED"),
        ("database", 503, "SERVICE_UNAVAILABLE"),
        ("data", 400, "VALIDATION_ERROR"),
        ("unexpected", 500, "INTERNAL_ERROR"),
    ],
)
def test_exceptions_in_drf_views(api_client, kind, status, code):
    response = api_client.get(f"/api/test/raise/{kind}/")
    assert response.status_code == status
    error = _error(response)
    assert error["code"] == code
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_conflict_carries_extra_fields(api_client):
    error = _error(api_client.get("/api/test/raise/conflict/"))
    assert error == {"code": "EVENT_FULL", "message": "The event is full.", "capacity": 3}


def test_database_outage_asks_to_retry(api_client):
    response = api_client.get("/api/test/raise/database/")
    assert response["Retry-After"] == "5"


def test_unknown_api_url_is_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert _error(response)["code"] == "NOT_FOUND"


def test_unknown_api_url_is_json_404_even_with_debug(api_client, settings):
    settings.DEBUG = True
    response = api_client.get("/api/nothing/here/")
    assert response.status_code == 404
    assert _error(response)["code"] == "NOT_FOUND"


def test_non_api_404_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_method_not_allowed(api_client):
    response = api_client.put("/api/test/echo/", {}, format="json")
    assert response.status_code == 405
    assert _error(response)["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response["Allow"]


def test_not_acceptable(api_client):
    response = api_client.get("/api/test/echo/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert _error(response)["code"] == "NOT_ACCEPTABLE"


def test_unsupported_media_type(api_client):
    response = api_client.post("/api/test/echo/", data="name=x", content_type="text/plain")
    assert response.status_code == 415
    assert _error(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_throttled_has_retry_after(api_client):
    assert api_client.get("/api/test/throttled/").status_code == 200
    response = api_client.get("/api/test/throttled/")
    assert response.status_code == 429
    assert _error(response)["code"] == "THROTTLED"
    assert int(response["Retry-After"]) >= 1


def test_oversized_json_body_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"name": "x" * 200, "amount": "1.00"})
    response = api_client.post("/api/test/echo/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert _error(response)["code"] == "FILE_TOO_LARGE"


def test_oversized_upload_is_413(api_client, settings):
    settings.AUGEO_MAX_REQUEST_BYTES = 1000
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("big.bin", b"x" * 5000)
    response = api_client.post("/api/test/echo/", {"file": upload}, format="multipart")
    assert response.status_code == 413
    assert _error(response)["code"] == "FILE_TOO_LARGE"


def test_upload_within_limit_reaches_the_view(api_client, settings):
    settings.AUGEO_MAX_REQUEST_BYTES = 100_000
    response = api_client.post("/api/test/echo/", {"name": "ok", "amount": "2.00"}, format="multipart")
    assert response.status_code == 201


def test_bad_content_length_is_400(api_client):
    response = api_client.get("/api/test/echo/", CONTENT_LENGTH="abc")
    assert response.status_code == 400
    assert _error(response)["code"] == "VALIDATION_ERROR"


# --- Non-DRF views and Django's own pages under /api/ ------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_plain_view_crash_is_envelope_without_traceback(debug, settings, caplog):
    settings.DEBUG = debug
    response = Client().get("/api/test/plain-boom/")
    assert response.status_code == 500
    assert _error(response)["code"] == "INTERNAL_ERROR"
    content = response.content.decode()
    assert "Traceback" not in content and "plain view failure" not in content
    # The traceback goes to the server log instead.
    assert any(r.exc_info and "plain view failure" in str(r.exc_info[1]) for r in caplog.records)


def test_plain_view_database_outage_is_503():
    response = Client().get("/api/test/plain-database/")
    assert response.status_code == 503
    assert _error(response)["code"] == "SERVICE_UNAVAILABLE"
    assert response["Retry-After"] == "5"


def test_html_error_response_under_api_is_rewritten():
    response = Client().get("/api/test/plain-html/")
    assert response.status_code == 502
    assert _error(response)["code"] == "INTERNAL_ERROR"


def test_crash_outside_api_is_not_json():
    client = Client(raise_request_exception=False)
    response = client.get("/plain-boom/")
    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")


def test_csrf_failure_in_plain_view_is_json():
    response = Client(enforce_csrf_checks=True).post("/api/test/plain-post/", {"a": "b"})
    assert response.status_code == 403
    error = _error(response)
    assert error["code"] == "PERMISSION_DENIED"
    assert "CSRF" in error["message"]


def test_csrf_failure_with_session_auth_is_json(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/test/idempotent/", {"n": 1}, format="json")
    assert response.status_code == 403
    error = _error(response)
    assert error["code"] == "PERMISSION_DENIED"
    assert "CSRF" in error["message"]


def test_disallowed_host_under_api_is_json(settings):
    settings.DEBUG = True
    response = Client(HTTP_HOST="evil.example.com").get("/api/test/echo/")
    assert response.status_code == 400
    assert _error(response)["code"] == "VALIDATION_ERROR"


def test_browsable_api_keeps_html_for_browsers(api_client):
    response = api_client.get("/api/test/private/", HTTP_ACCEPT="text/html")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/html")
    assert b"NOT_AUTHENTICATED" in response.content


# --- error_parts directly ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (RequestDataTooBig(), 413, "FILE_TOO_LARGE"),
        (TooManyFieldsSent(), 400, "VALIDATION_ERROR"),
        (SuspiciousOperation(), 400, "VALIDATION_ERROR"),
        (drf.AuthenticationFailed("Nope.", code="INVALID_CREDENTIALS"), 401, "INVALID_CREDENTIALS"),
        (drf.PermissionDenied("Verify first.", code="EMAIL_NOT_VERIFIED"), 403, "EMAIL_NOT_VERIFIED"),
        (drf.NotFound("Invalid page."), 404, "NOT_FOUND"),
        (drf.Throttled(wait=None), 429, "THROTTLED"),
        (drf.APIException(), 500, "INTERNAL_ERROR"),
    ],
)
def test_error_parts(exc, status, code):
    got_status, body, _headers = error_parts(exc)
    assert (got_status, body["error"]["code"]) == (status, code)


def test_error_parts_list_and_dict_details():
    status, body, _ = error_parts(drf.PermissionDenied(detail=["one", "two"]))
    assert (status, body["error"]["message"]) == (403, "one; two")
    from rest_framework_simplejwt.exceptions import InvalidToken

    status, body, _ = error_parts(InvalidToken())
    assert status == 401 and body["error"]["code"] == "TOKEN_INVALID"
    assert body["error"]["message"] == "Token is invalid or expired"


def test_error_parts_throttle_without_wait_still_has_retry_after():
    _status, _body, headers = error_parts(drf.Throttled(wait=None))
    assert headers["Retry-After"] == "1"


def test_validation_error_without_field_names():
    status, body, _ = error_parts(drf.ValidationError(["Bad combination."]))
    assert status == 400
    assert body["error"]["fields"] == {"non_field_errors": ["Bad combination."]}
    assert body["error"]["message"] == "Bad combination."


def test_nested_validation_errors_keep_nesting():
    _status, body, _ = error_parts(drf.ValidationError({"guests": [{"email": ["Bad."]}, {}], "x": {"y": "z"}}))
    assert body["error"]["fields"]["guests"] == [{"email": ["Bad."]}, {}]
    assert body["error"]["fields"]["x"] == {"y": ["z"]}
    assert body["error"]["message"] == "The request is invalid."


def test_status_body_for_unknown_status():
    assert status_body(418)["error"]["code"] == "ERROR"
    assert status_body(599)["error"]["code"] == "INTERNAL_ERROR"


def test_domain_error_headers_reach_the_response():
    """A DomainError may carry HTTP headers (e.g. ``Retry-After`` on a 429); the handler sends them
    and keeps them out of the envelope."""
    from apps.core.exceptions import Conflict, DomainError

    class Locked(DomainError):
        status = 429
        default_code = "ACCOUNT_LOCKED"

    status, body, headers = error_parts(Locked(headers={"Retry-After": "30"}, retry_after=30))
    assert (status, headers) == (429, {"Retry-After": "30"})
    assert body["error"] == {"code": "ACCOUNT_LOCKED", "message": "Account locked", "retry_after": 30}
    assert error_parts(Conflict("EVENT_FULL"))[2] == {}


def test_domain_error_headers_through_drf_and_middleware():
    from apps.core.api.exceptions import exception_handler
    from apps.core.middleware import ApiErrorMiddleware
    from apps.users.errors import AccountLocked

    response = exception_handler(AccountLocked(42), {})
    assert response.status_code == 429 and response["Retry-After"] == "42"
    assert response.data["error"]["code"] == "ACCOUNT_LOCKED"

    from django.test import RequestFactory

    middleware = ApiErrorMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().post("/api/v1/x/"), AccountLocked(7))
    assert response is not None and response.status_code == 429 and response["Retry-After"] == "7"


@pytest.mark.parametrize("path", ["/api/v1/public/events/?search=a%00b", "/api/v1/npos/?status=%00"])
def test_nul_in_an_api_query_string_is_400_envelope(api_client, path):
    """PostgreSQL cannot hold a NUL in text; the guard refuses it before any query is built."""
    response = api_client.get(path)
    assert response.status_code == 400
    assert _error(response)["code"] == "VALIDATION_ERROR"


@pytest.mark.django_db
def test_nul_in_an_admin_query_string_is_400(admin_client):
    response = admin_client.get("/admin/npos/npo/?q=%00")
    assert response.status_code == 400
    assert b"NUL" in response.content
