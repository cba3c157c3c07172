"""The permission matrix of the live routes (format: ``apps/core/tests/matrix.py``).

The WebSocket room ``/ws/events/{id}/`` is not an ``/api/v1/`` route, so its rows live in
``WS_ROWS`` and ``test_matrix_ws.py`` runs them over real sockets: ``JOINED`` (101, the socket stays
open in the room) or the close code (4404: not visible). A bad, used or expired ticket or token is
4401 for anyone (``test_consumer.py``, ``test_tickets.py``). The display page follows the same
visibility (``test_display.py``). ``ROWS`` has the connect-ticket endpoint.
"""

from __future__ import annotations

from apps.core.tests.matrix import Row, expect

JOINED = 101

#: Rows run by test_matrix_ws.py (each actor with a connect ticket; anonymous without one).
WS_ROWS = [
    Row("GET", "/ws/events/{auc_event}/", expect(all=JOINED), name="WS published event room: anyone joins"),
    Row(
        "GET",
        "/ws/events/{auc_draft_event}/",
        expect(all=4404, members=JOINED, super=JOINED),
        name="WS draft event room: members of its NPO only",
    ),
]

ROWS: list[Row] = [
    Row("POST", "/api/v1/live/tickets/", expect(all=201, anon=401), name="WS connect ticket: any signed-in user"),
]
