"""Readiness checks: database, cache and storage, each reported by name."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import connection


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it stored")
    cache.delete(key)


def _storage() -> None:
    from django.core.files.storage import default_storage

    default_storage.exists("health-check-probe")


CHECKS = {"database": _database, "cache": _cache, "storage": _storage}


def run_checks() -> dict[str, dict[str, str]]:
    results: dict[str, dict[str, str]] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = {"status": "ok"}
        except Exception as exc:  # each failure is reported by name, never raised
            results[name] = {"status": "error", "error": exc.__class__.__name__}
    return results
