"""Django's error handlers: JSON under /api/, Django's own pages elsewhere."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from apps.core import views

rf = RequestFactory()


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        (views.bad_request, 400, "VALIDATION_ERROR"),
        (views.permission_denied, 403, "PERMISSION_DENIED"),
        (views.page_not_found, 404, "NOT_FOUND"),
    ],
)
def test_handlers(handler, status, code):
    api = handler(rf.get("/api/v1/x/"), Exception())
    assert api.status_code == status
    assert api["Content-Type"] == "application/json"
    assert code.encode() in api.content
    page = handler(rf.get("/admin/x/"), Exception())
    assert page.status_code == status
    assert not page["Content-Type"].startswith("application/json")


def test_server_error_handler():
    assert views.server_error(rf.get("/api/v1/x/")).status_code == 500
    assert b"INTERNAL_ERROR" in views.server_error(rf.get("/api/v1/x/")).content
    page = views.server_error(rf.get("/x/"))
    assert page.status_code == 500 and b"INTERNAL_ERROR" not in page.content


def test_csrf_failure_outside_api_is_djangos_page():
    response = views.csrf_failure(rf.post("/admin/login/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert not response["Content-Type"].startswith("application/json")
