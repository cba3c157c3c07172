"""The OpenAPI schema: valid, warning-free, and every operation documents its error responses."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_project_schema_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` on the real URLs (every app's routes)."""
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yml"
    stderr = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=stderr)
    assert not GENERATOR_STATS, stderr.getvalue()
    assert out.read_text().startswith("openapi: 3")


def test_every_project_operation_documents_an_error():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        if not any(code.startswith(("4", "5")) for code in operation["responses"])
    ]
    assert missing == []


@pytest.fixture
def test_schema():
    GENERATOR_STATS.reset()
    from apps.core.tests.urls import test_patterns

    schema = SchemaGenerator(patterns=test_patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS
    return schema


def _responses(schema, path, method):
    return schema["paths"][path][method]["responses"]


def test_error_envelope_component(test_schema):
    envelope = test_schema["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]
    assert envelope["properties"]["error"]["required"] == ["code", "message"]


def test_each_test_operation_documents_the_envelope(test_schema):
    operations = [(p, m, o) for p, m, o in _operations(test_schema) if p.startswith("/api/test/")]
    assert len(operations) >= 8
    for _path, _method, operation in operations:
        errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
        assert errors
        for response in errors.values():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_error_statuses_follow_the_view(test_schema):
    # Public POST with a body: 400 (body), 401 (bad token), 409 (write); no 403/404.
    echo_post = _responses(test_schema, "/api/test/echo/", "post")
    assert {"400", "401", "409"} <= set(echo_post)
    assert not {"403", "404"} & set(echo_post)
    # Authenticated list: 400 (filters/page), 401, 403, 404 (page past the end), 429.
    entries = _responses(test_schema, "/api/test/entries/", "get")
    assert {"400", "401", "403", "404", "429"} <= set(entries)
    assert "Retry-After" in entries["429"]["headers"]
    # Detail route: 404; reads are not 409.
    detail = _responses(test_schema, "/api/test/entries/{id}/", "get")
    assert "404" in detail and "409" not in detail
    # A view with its own throttle documents 429.
    assert "429" in _responses(test_schema, "/api/test/throttled/", "get")


@pytest.mark.django_db
def test_schema_and_docs_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
