"""The statements Django's ORM cannot express (STYLE.md: each in one ``queries.py``).

:func:`database_ping` is the readiness probe's round trip. PostgreSQL's advisory locks have no ORM
form. :func:`advisory_xact_lock` serialises a critical
section on a key until the transaction ends: choosing a bidder number within one event
(``apps.attendance.locks``) and publishing a legal document (``apps.legal.services.documents``).
SQLite serialises writers anyway, so it is a no-op there.
"""

from __future__ import annotations

from django.db import connection
from django.db.transaction import TransactionManagementError


def advisory_xact_lock(namespace: int, key: int) -> None:
    """``pg_advisory_xact_lock(namespace, key)``: wait for, then hold, the lock on ``(namespace,
    key)`` until the transaction ends (two 32-bit integers). Refused outside a transaction, where
    the lock would end with the statement."""
    if connection.vendor != "postgresql":
        return
    if connection.get_autocommit():
        raise TransactionManagementError("An advisory lock outside a transaction would be released at once.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, key])


def database_ping() -> None:
    """One round trip to the database (``/health/ready/``): raises when it cannot answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
