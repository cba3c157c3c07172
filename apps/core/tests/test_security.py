"""Platform hardening: the client IP behind proxies, /metrics protection, nested JSON,
the cached schema, Content-Security-Policy and Swagger UI served from the app."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import RequestFactory
from django.utils import timezone

from apps.core import net

pytestmark = pytest.mark.django_db


# --- client_ip --------------------------------------------------------------------------------------


def _ip(remote, forwarded=None, **meta):
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return net.client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **meta))


def test_forwarded_for_is_ignored_without_proxies(settings):
    settings.NUM_PROXIES = 0
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip("10.0.0.5", "203.0.113.1") == "10.0.0.5"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    """Regression: a client hitting the app directly forged any address it liked."""
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_trusted_hops_are_walked_from_the_right(settings):
    settings.NUM_PROXIES = 2
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.0.0/16"]
    # client forged "1.1.1.1"; the edge proxy (192.168.1.1) appended the real client, the ingress
    # (10.0.0.2 → app) appended the edge proxy.
    assert _ip("10.0.0.2", "1.1.1.1, 203.0.113.7, 192.168.1.1") == "203.0.113.7"
    # Only NUM_PROXIES hops are taken, even through trusted addresses.
    settings.NUM_PROXIES = 1
    assert _ip("10.0.0.2", "1.1.1.1, 203.0.113.7, 192.168.1.1") == "192.168.1.1"


def test_the_walk_stops_at_the_first_untrusted_hop(settings):
    settings.NUM_PROXIES = 3
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip("10.0.0.2", "1.1.1.1, 203.0.113.7") == "203.0.113.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [("203.0.113.7:5123", "203.0.113.7"), ("[2001:db8::1]:443", "2001:db8::1"), ("2001:db8::2", "2001:db8::2")],
)
def test_ports_and_ipv6_in_forwarded_entries(settings, forwarded, expected):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip("10.0.0.2", forwarded) == expected


def test_garbage_in_forwarded_for_keeps_the_proxy_address(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip("10.0.0.2", "not-an-ip") == "10.0.0.2"
    assert net.parse_ip("[broken") is None and net.parse_ip("") is None


def test_trusted_proxies_default_to_private_ranges_and_are_validated(monkeypatch):
    import subprocess
    import sys

    script = "import django; django.setup(); from django.conf import settings as s; print(s.TRUSTED_PROXIES)"
    env = {"DJANGO_SETTINGS_MODULE": "augeo.settings.test", "PATH": "/usr/bin:/bin"}
    run = lambda **extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", script], env={**env, **extra}, capture_output=True, text=True, timeout=60
    )
    assert run(DJANGO_NUM_PROXIES="0").stdout.strip() == "[]"
    assert "10.0.0.0/8" in run(DJANGO_NUM_PROXIES="1").stdout
    assert "192.0.2.0/24" in run(DJANGO_NUM_PROXIES="1", DJANGO_TRUSTED_PROXIES="192.0.2.0/24").stdout
    bad = run(DJANGO_NUM_PROXIES="1", DJANGO_TRUSTED_PROXIES="10.0.0.0/33")
    assert bad.returncode != 0 and "DJANGO_TRUSTED_PROXIES" in bad.stderr


# --- /metrics ---------------------------------------------------------------------------------------


def test_metrics_is_not_public(client, settings):
    """Regression: /metrics answered everyone."""
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_metrics_with_the_bearer_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    outside = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", **outside).status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-scrape-token", **outside).status_code == 403


def test_metrics_from_an_allowed_network_and_no_forged_header(client, settings):
    settings.METRICS_ALLOWED_CIDRS = ["10.20.0.0/16"]
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.20.3.4").status_code == 403


# --- nested JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/login/", "/api/v1/users/me/", "/api/v1/npos/", "/api/v1/events/"])
def test_deeply_nested_json_is_a_400_not_a_500(auth_client, path):
    """Regression: "[" * 200000 raised RecursionError in the parser (500) on every endpoint."""
    method = auth_client.patch if path.endswith("me/") else auth_client.post
    response = method(path, "[" * 200000, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_json_deeper_than_the_limit_is_refused(api_client, settings):
    settings.AUGEO_MAX_JSON_DEPTH = 5
    body = '{"email": ' + "[" * 5 + '"x"' + "]" * 5 + "}"
    response = api_client.post("/api/v1/auth/login/", body, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.json()["error"]["message"]
    shallow = '{"email": [[["x"]]]}'
    response = api_client.post("/api/v1/auth/login/", shallow, content_type="application/json")
    assert response.status_code == 400 and "email" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "suffix", ["events/", "events/{event}/links/", "events/{event}/paddle-raise/", "items/{item}/bids/"]
)
def test_events_and_auction_views_parse_with_the_bounded_parser(suffix, settings):
    """They listed DRF's JSONParser (no nesting bound; a deep body reached the view) and MultiPartParser."""
    from apps.auctions.tests.factories import ItemFactory
    from apps.npos.tests.factories import MembershipFactory
    from apps.users.tests.factories import UserFactory
    from conftest import client_for

    item = ItemFactory()
    user = UserFactory()
    MembershipFactory(npo=item.event.npo, user=user, role="admin")
    settings.AUGEO_MAX_JSON_DEPTH = 5
    path = "/api/v1/" + suffix.format(event=item.event_id, item=item.pk)
    body = '{"name": ' + "[" * 5 + '"x"' + "]" * 5 + "}"
    response = client_for(user).post(path, body, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.json()["error"]["message"], response.content


def test_an_item_image_upload_without_parts_is_refused():
    from apps.auctions.tests.factories import ItemFactory
    from apps.npos.tests.factories import MembershipFactory
    from apps.users.tests.factories import UserFactory
    from conftest import client_for

    item = ItemFactory()
    user = UserFactory()
    MembershipFactory(npo=item.event.npo, user=user, role="admin")
    body = b"--B\r\nFalse--B--\r\n"
    response = client_for(user).post(
        f"/api/v1/items/{item.pk}/images/", body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 400 and "no parts" in response.json()["error"]["message"], response.content


def test_a_views_own_drf_json_parser_is_covered_too():
    from apps.core.api.exceptions import error_parts

    try:
        import json

        json.loads("[" * 200000)
    except RecursionError as exc:
        status, body, _ = error_parts(exc)
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    status, _, _ = error_parts(RecursionError("maximum recursion depth exceeded"))
    assert status == 500  # any other recursion is a bug, not the client's input


# --- the schema -------------------------------------------------------------------------------------


def test_schema_is_generated_once_per_process(client):
    """Regression: /api/schema/ ran the generator (about a second of CPU) for every anonymous request."""
    from drf_spectacular.generators import SchemaGenerator

    from apps.core.api import views

    views._schema_cache.clear()
    with mock.patch.object(SchemaGenerator, "get_schema", autospec=True, side_effect=SchemaGenerator.get_schema) as gen:
        first = client.get("/api/schema/?format=json")
        second = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
        third = client.get("/api/schema/?lang=xx&version=v9")
    assert first.status_code == second.status_code == third.status_code == 200
    assert gen.call_count == 1
    assert first.json()["openapi"].startswith("3") and second.content.startswith(b"openapi: 3")


def test_operations_open_to_anonymous_callers_declare_it():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    security = lambda path, method: schema["paths"][path][method].get("security", [])  # noqa: E731
    assert {} in security("/api/v1/auth/login/", "post")
    assert {} in security("/api/v1/public/events/", "get")
    assert {} in security("/api/v1/events/", "get")  # published events are public
    assert {} not in security("/api/v1/events/", "post")
    assert {} not in security("/api/v1/users/me/", "get")
    assert {"jwtAuth": []} in security("/api/v1/users/me/", "get")


# --- CSP and Swagger UI ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/v1/"])
def test_html_pages_carry_a_content_security_policy(client, path):
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


_SELF_ONLY = {"default-src": ["'self'"]}


def _csp_both_ways(request_factory, *, view_sets=None, nonce=False):
    """The response headers of our CSPMiddleware and of django-csp's own for the same request."""
    from csp.middleware import CSPMiddleware as DjangoCSP
    from django.http import HttpResponse

    from apps.core.middleware import CSPMiddleware

    def view(request):
        if nonce:
            str(request.csp_nonce)
        response = HttpResponse("x")
        for name, value in (view_sets or {}).items():
            setattr(response, name, value)
        return response

    seen = []
    for middleware in (CSPMiddleware, DjangoCSP):
        response = middleware(view)(request_factory.get("/api/v1/users/me/"))
        seen.append({k: v for k, v in response.headers.items() if k.startswith("Content-Security")})
    return seen


@pytest.mark.parametrize(
    ("overrides", "view_sets", "nonce"),
    [
        ({}, None, False),
        ({}, {"_csp_update": {"img-src": ["https://img.example"]}}, False),
        ({}, {"_csp_exempt": True}, False),
        ({}, None, True),
        ({"CONTENT_SECURITY_POLICY_REPORT_ONLY": {"DIRECTIVES": {"default-src": ["'none'"]}}}, None, False),
        ({"CONTENT_SECURITY_POLICY": {"EXCLUDE_URL_PREFIXES": ["/api/"], "DIRECTIVES": _SELF_ONLY}}, None, False),
        ({"DEBUG": True}, None, False),
    ],
)
def test_csp_headers_built_once_equal_django_csps(rf, settings, overrides, view_sets, nonce):
    """The middleware reuses the headers built from the settings; whatever the response, the
    settings or the nonce, they are django-csp's own (and follow an override of the settings)."""
    for name, value in overrides.items():
        setattr(settings, name, value)
    ours, theirs = _csp_both_ways(rf, view_sets=view_sets, nonce=nonce)
    assert ours == theirs
    if not overrides and not view_sets:
        assert "default-src 'self'" in ours["Content-Security-Policy"]


def test_csp_nonce_after_the_header_is_an_error(rf):
    from csp.exceptions import CSPNonceError
    from django.http import HttpResponse

    from apps.core.middleware import CSPMiddleware

    request = rf.get("/api/v1/users/me/")
    CSPMiddleware(lambda r: HttpResponse("x"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_swagger_ui_is_served_from_the_app(client):
    """Regression: /api/docs/ loaded Swagger UI from a CDN (@latest) and had an inline script."""
    page = client.get("/api/docs/").content.decode()
    assert "cdn." not in page and "jsdelivr" not in page and "unpkg" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "<script>" not in page.replace(" ", "")  # no inline script: the init script is its own file
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_stale_login_counters_are_pruned():
    from apps.users.models import LoginLock
    from apps.users.pruning import prune_login_locks

    now = timezone.now()
    old = LoginLock.objects.create(scope="account", key="a" * 64, failures=2, last_failure_at=now - timedelta(hours=1))
    LoginLock.objects.create(
        scope="account", key="b" * 64, failures=5, last_failure_at=now, locked_until=now + timedelta(minutes=9)
    )
    LoginLock.objects.create(
        scope="device",
        key="c" * 64,
        failures=5,
        last_failure_at=now - timedelta(days=2),
        locked_until=now + timedelta(days=100),
    )
    assert prune_login_locks(now=now, dry_run=True) == 1
    assert prune_login_locks(now=now, dry_run=False) == 1
    assert not LoginLock.objects.filter(pk=old.pk).exists() and LoginLock.objects.count() == 2


def test_old_outbox_rows_are_pruned():
    from apps.core.models import OutboxEmail
    from apps.core.pruning import prune_outbox

    now = timezone.now()
    for status in ("sent", "cancelled", "failed"):
        row = OutboxEmail.objects.create(template="auctions/won", to="a@example.org", status=status)
        OutboxEmail.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=31))
    OutboxEmail.objects.create(template="auctions/won", to="a@example.org", status="sent")
    assert prune_outbox(now=now, dry_run=False) == 2
    assert sorted(OutboxEmail.objects.values_list("status", flat=True)) == ["failed", "sent"]


def test_json_endpoints_refuse_form_bodies(auth_client):
    """scripts/fuzz.sh (negative_data_rejection): with form/multipart bodies an empty field
    (`currency=`, `food_option=`) silently meant "not given" and a schema-violating request was
    answered 201. Only upload endpoints take multipart; everything else is JSON (api.md)."""
    response = auth_client.post("/api/v1/npos/", {"name": "Form NPO", "currency": ""}, format="multipart")
    assert response.status_code == 415 and response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert auth_client.post("/api/v1/npos/", {"name": "Form NPO", "currency": ""}, format="json").status_code == 400


def test_a_multipart_body_without_parts_is_400(user, auth_client):
    """scripts/fuzz.sh (negative_data_rejection): `--boundary\\r\\nFalse--boundary--` parsed as an empty
    form, so PATCH …/branding/ with garbage answered 200 "nothing changed"."""
    from apps.npos.tests.factories import MembershipFactory

    npo = MembershipFactory(user=user, role="admin").npo
    body = b"--xyz\r\nFalse--xyz--\r\n"
    for url in (f"/api/v1/npos/{npo.pk}/branding/", "/api/v1/users/me/picture/"):
        method = auth_client.patch if "branding" in url else auth_client.put
        response = method(url, body, content_type="multipart/form-data; boundary=xyz")
        assert response.status_code == 400, (url, response.content)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
