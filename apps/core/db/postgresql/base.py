"""The PostgreSQL backend: django-prometheus' (query metrics) with a health check that costs no
round trip.

``CONN_HEALTH_CHECKS`` makes Django check a reused connection before the first query of each
request, so a database restart or failover never fails a request on a connection the server has
already closed. Django checks with ``SELECT 1`` — a round trip on every request, measured at 5-6 %
of the throughput of ``users/me`` and the catalogue (issue 13). A server that ends a session (restart,
failover, ``pg_terminate_backend``, idle timeout) sends the client its termination message and closes
the socket, so the socket of a session the server has ended is readable. The check here is a poll of
the socket with no wait: nothing to read means the session is as the server left it after the last
query; anything to read (the termination, the close, rarely a notice) falls back to ``SELECT 1``, and
a dead connection is dropped so the request opens a new one, as Django's own check does. What it cannot see is
a peer that vanished without a word (a network path silently cut): that request fails, Django marks
the connection errored, and the next request checks it with a real ``SELECT 1`` (``is_usable``,
unchanged) — the behaviour without health checks, for a case no check before the query can rule out
either (the path can fail between the check and the query).
"""

from __future__ import annotations

import select

from django_prometheus.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_done: bool
    health_check_enabled: bool

    def close_if_health_check_failed(self) -> None:
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.is_open():
            self.close()
        self.health_check_done = True

    def is_open(self) -> bool:
        """Whether the server still holds this idle session: nothing has arrived on its socket
        (an idle session receives nothing unless the server is ending it), or, when something has,
        the original check (``SELECT 1``) says so."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        if poller.poll(0) or connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return bool(self.is_usable())  # the termination, the close, a notification: ask
        return True
