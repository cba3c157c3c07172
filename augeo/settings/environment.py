"""What every settings module reads: the project's directory, the environment (django-environ;
the variable names are a contract listed in the README), the secret key and a checked CIDR list.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-dev-only-key-change-me-in-production-0123456789")


def cidr_list(variable: str, default: list[str]) -> list[str]:
    """A comma-separated CIDR list from the environment, checked at start-up (a typo must not
    silently trust or refuse everyone)."""
    values = env.list(variable, default=default)
    for value in values:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{variable}: {value!r} is not an IP network (CIDR).") from exc
    return [value.strip() for value in values if value.strip()]
