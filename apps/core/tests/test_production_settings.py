"""augeo.settings.production: check --deploy passes, required variables enforced, proxies, HTTPS."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _env(**overrides: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "AZURE_", "PAYMENT_", "STRIPE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="augeo.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="augeo.example.org",
        DATABASE_URL="postgres://augeo:pw@127.0.0.1:1/augeo",
        PAYMENT_PROVIDER="stripe",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(args: list[str], **overrides: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_the_mandatory_variables():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "x" * 60}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        # The embedded provider approves every charge: never production's silent default.
        ({"PAYMENT_PROVIDER": None}, "PAYMENT_PROVIDER"),
        ({"PAYMENT_PROVIDER": ""}, "PAYMENT_PROVIDER"),
    ],
)
def test_refuses_to_start_without_mandatory_variables(overrides, message):
    result = _run(["manage.py", "check"], **overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_embedded_provider_only_when_chosen_and_then_with_a_warning():
    """``PAYMENT_PROVIDER=embedded`` set on purpose (a demo stack) starts, and every process says in
    its log that charges are not real; ``stripe`` starts without that warning."""
    script = "import django; django.setup(); from django.conf import settings; print(settings.PAYMENT_PROVIDER)"
    embedded = _run(["-c", script], PAYMENT_PROVIDER="embedded", DJANGO_LOG_JSON="false")
    assert embedded.returncode == 0, embedded.stderr
    assert embedded.stdout.strip().splitlines()[-1] == "embedded"
    output = embedded.stdout + embedded.stderr
    assert "PAYMENT_PROVIDER=embedded in production settings" in output and "NOT real" in output
    stripe = _run(["-c", script], DJANGO_LOG_JSON="false")
    assert stripe.returncode == 0, stripe.stderr
    assert "PAYMENT_PROVIDER=embedded" not in stripe.stdout + stripe.stderr


SETTINGS_SCRIPT = """
import json
import django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_REDIRECT_EXEMPT": s.SECURE_REDIRECT_EXEMPT,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
    "HSTS": s.SECURE_HSTS_SECONDS,
    "cookies": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "NUM_PROXIES": s.NUM_PROXIES,
    "TRUSTED_PROXIES": s.TRUSTED_PROXIES,
    "formatter": s.LOGGING["handlers"]["console"]["formatter"],
    "CONN_HEALTH_CHECKS": s.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "SESSION_OPTIONS": s.DATABASES["default"]["OPTIONS"].get("options"),
    "ENGINE": s.DATABASES["default"]["ENGINE"],
    "JWT_KEY_IS_SECRET": s.SIMPLE_JWT["SIGNING_KEY"] == s.SECRET_KEY,
    "THROTTLE_LOGIN_IP": s.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_ip"],
    "CSP": "apps.core.middleware.CSPMiddleware" in s.MIDDLEWARE,  # django-csp's, its headers built once
    "METRICS_ALLOWED_CIDRS": s.METRICS_ALLOWED_CIDRS,
    "whitenoise": "whitenoise.middleware.WhiteNoiseMiddleware" in s.MIDDLEWARE,
}))
"""


def test_production_values():
    result = _run(["-c", SETTINGS_SCRIPT], DJANGO_DEBUG="true", THROTTLE_RATE_LOGIN_IP="1000/min")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False  # DJANGO_DEBUG cannot turn it on
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["HSTS"] >= 31_536_000
    assert values["cookies"] == [True, True]
    assert values["NUM_PROXIES"] == 1 and "10.0.0.0/8" in values["TRUSTED_PROXIES"]
    assert values["formatter"] == "json"
    assert values["CONN_HEALTH_CHECKS"] is True
    assert values["SESSION_OPTIONS"] == "-c random_page_cost=1.1"
    assert values["ENGINE"].endswith("postgresql")
    assert values["JWT_KEY_IS_SECRET"] is True
    assert values["THROTTLE_LOGIN_IP"] == "1000/min"
    assert values["CSP"] is True
    assert values["METRICS_ALLOWED_CIDRS"] == ["127.0.0.0/8", "::1/128"]
    assert values["whitenoise"] is True


def test_proxies_and_plain_logs_are_configurable():
    result = _run(["-c", SETTINGS_SCRIPT], DJANGO_NUM_PROXIES="2", DJANGO_LOG_JSON="false")
    values = json.loads(result.stdout)
    assert values["NUM_PROXIES"] == 2
    assert values["formatter"] == "plain"
    result = _run(["-c", SETTINGS_SCRIPT], DATABASE_SESSION_OPTIONS="")  # a pooler without startup options
    assert json.loads(result.stdout)["SESSION_OPTIONS"] is None


@pytest.mark.django_db
@pytest.mark.postgres
def test_postgresql_sessions_price_random_reads_for_memory():
    """The application's sessions open with random_page_cost = 1.1 (settings.base): the check-in
    search's planner then picks the trigram index for a common three letters."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"


@pytest.mark.django_db
def test_health_and_metrics_are_exempt_from_the_https_redirect(client, settings):
    """Load-balancer probes and Prometheus scrape over plain HTTP inside the network."""
    values = json.loads(_run(["-c", SETTINGS_SCRIPT]).stdout)
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = values["SECURE_REDIRECT_EXEMPT"]
    settings.SECURE_PROXY_SSL_HEADER = tuple(values["SECURE_PROXY_SSL_HEADER"])
    assert client.get("/health/live/").status_code == 200
    assert client.get("/health/ready/").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/v1/").status_code == 301
    assert client.get("/admin/login/").status_code == 301
    # Behind the balancer (X-Forwarded-Proto: https) nothing is redirected.
    assert client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def _import_production(monkeypatch, **env: str | None):
    import importlib

    for key, value in _env(**env).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k not in _env(**env)]:
        if key.startswith(("DJANGO_", "DATABASE_URL")):
            monkeypatch.delenv(key)
    sys.modules.pop("augeo.settings.production", None)
    try:
        return importlib.import_module("augeo.settings.production")
    finally:
        sys.modules.pop("augeo.settings.production", None)


def test_production_module_in_process(monkeypatch):
    """The same checks in this process (so coverage sees the module)."""
    module = _import_production(monkeypatch)
    assert module.DEBUG is False
    assert module.SECURE_REDIRECT_EXEMPT == [r"^health/", r"^metrics$"]
    assert module.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert module.SPECTACULAR_SETTINGS["ENABLE_DJANGO_DEPLOY_CHECK"] is False
    # The shared base dict is not mutated.
    from augeo.settings import base

    assert base.LOGGING["handlers"]["console"]["formatter"] == ("json" if base.LOG_JSON else "plain")


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_module_refuses_missing_variables(monkeypatch, missing):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=missing):
        _import_production(monkeypatch, **{missing: None})
