"""The OpenAPI schema documents the gate: 409 CONSENT_REQUIRED on reads outside the exempt list."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator


def test_gated_reads_document_a_409_and_exempt_ones_do_not():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "409" in paths["/api/v1/npos/"]["get"]["responses"]
    assert "409" in paths["/api/v1/events/"]["get"]["responses"]
    for path in (
        "/api/v1/users/me/",
        "/api/v1/legal/documents/",
        "/api/v1/consent/status/",
        "/api/v1/public/testimonials/",
    ):
        assert "409" not in paths[path]["get"]["responses"], path
    assert "CONSENT_REQUIRED" in paths["/api/v1/npos/"]["get"]["responses"]["409"]["description"]
