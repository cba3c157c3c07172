"""The PostgreSQL backend's health check (apps.core.db.postgresql): no round trip for a healthy
connection, and a connection the server ended is replaced before the request's first query."""

from __future__ import annotations

import time

import pytest
from django.db import connections

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def wrapper():
    """A connection of its own (the test's is inside its transaction), health-checked as a request's."""
    own = connections.create_connection("default")
    own.ensure_connection()
    yield own
    own.close()


def _next_request(own) -> None:
    own.close_if_unusable_or_obsolete()  # what Django runs when a request starts (and ends)


def _pid(own) -> int:
    with own.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_healthy_connection_is_kept_without_a_query(wrapper, monkeypatch):
    assert wrapper.settings_dict["CONN_HEALTH_CHECKS"] is True
    pid = _pid(wrapper)
    _next_request(wrapper)

    def no_round_trip(*args, **kwargs):
        raise AssertionError("the health check asked the server")

    monkeypatch.setattr(wrapper.connection, "cursor", no_round_trip)
    monkeypatch.setattr(wrapper.connection, "execute", no_round_trip)
    wrapper.close_if_health_check_failed()
    assert wrapper.health_check_done and wrapper.connection is not None
    monkeypatch.undo()
    assert _pid(wrapper) == pid  # the same session served the next request


def test_a_connection_the_server_ended_is_replaced_before_the_first_query(wrapper):
    pid = _pid(wrapper)
    with connections.create_connection("default").cursor() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        other.connection.close()
    time.sleep(0.2)  # the termination message and the close reach this side
    _next_request(wrapper)
    new_pid = _pid(wrapper)  # no OperationalError: the check dropped the dead session first
    assert new_pid != pid


def test_a_connection_with_errors_is_still_checked_by_asking(wrapper):
    """After a database error Django checks with a real query (``is_usable``), unchanged."""
    _pid(wrapper)
    wrapper.errors_occurred = True
    _next_request(wrapper)
    assert wrapper.connection is not None and wrapper.errors_occurred is False


def test_a_message_on_a_live_connection_is_checked_by_asking_and_the_connection_kept(wrapper):
    """Something to read on an idle session that is alive (here a notification) is not a reason to
    drop it: the check asks with ``SELECT 1``, which answers, and the session serves the request."""
    with wrapper.cursor() as cursor:
        cursor.execute("LISTEN augeo_test")
    pid = _pid(wrapper)
    with connections.create_connection("default").cursor() as other:
        other.execute("NOTIFY augeo_test")
        other.connection.close()
    time.sleep(0.2)
    _next_request(wrapper)
    assert wrapper.is_open() is True
    assert _pid(wrapper) == pid


def test_a_closed_connection_is_not_open(wrapper):
    wrapper.connection.close()
    assert wrapper.is_open() is False


def _prepared(own) -> list[str]:
    with own.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_compiled_queries_are_prepared_once_per_connection_and_logged(wrapper, settings):
    """A ``CompiledQuery`` runs on a cursor whose statements PostgreSQL keeps prepared; the answer
    is the ORM's, and Django still logs the query (tests count it)."""
    import uuid

    from django.db import connections as conns
    from django.test.utils import CaptureQueriesContext

    from apps.core.compiled import REGISTRY, CompiledQuery
    from apps.users.models import User

    alias = "prepared-test"
    conns[alias] = wrapper
    query = CompiledQuery(
        "test.prepared", lambda p: User.objects.filter(email=p.email).values_list("pk", flat=True), email=str
    )
    try:
        with CaptureQueriesContext(wrapper) as captured:
            assert query.all(using=alias, email="nobody@example.org") == []
            assert query.all(using=alias, email="nobody-else@example.org") == []
        assert len(captured.captured_queries) == 2
        assert "nobody-else@example.org" in captured.captured_queries[1]["sql"]  # logged with its values
        assert [s for s in _prepared(wrapper) if '"users_user"."email" = $1' in s]
        # Django's own (client-side bound) statements are never prepared, however often they run.
        for _ in range(10):
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT %s, 'augeo-orm-test'", [1])
        assert not [s for s in _prepared(wrapper) if "augeo-orm-test" in s]
        # A rolled-back transaction leaves the connection able to run it again.
        wrapper.set_autocommit(False)
        assert query.all(using=alias, email=f"{uuid.uuid4()}@example.org") == []
        wrapper.rollback()
        wrapper.set_autocommit(True)
        assert query.all(using=alias, email="x@example.org") == []
        # Switched off (a pooler that cannot keep them): a plain cursor, nothing prepared.
        settings.DATABASE_PREPARED_STATEMENTS = False
        other = CompiledQuery(
            "test.unprepared", lambda p: User.objects.filter(last_name=p.name).values_list("pk"), name=str
        )
        assert other.all(using=alias, name="Nobody") == []
        assert not [s for s in _prepared(wrapper) if '"users_user"."last_name" = $1' in s]
    finally:
        del conns[alias]
        REGISTRY.pop("test.prepared", None)
        REGISTRY.pop("test.unprepared", None)
