"""The live updates' sockets (apps/live): queues, tickets, per-user and per-IP caps."""

from __future__ import annotations

from .environment import env

# Live updates (apps/live): a socket whose outgoing queue holds this many messages is a slow client
# and is dropped (it reconnects and re-reads the REST API); a broadcast waits at most
# LIVE_PUBLISH_TIMEOUT seconds for the channel layer, on a background thread, never in a request.
LIVE_SOCKET_QUEUE = env.int("AUGEO_LIVE_SOCKET_QUEUE", default=256)
LIVE_PUBLISH_TIMEOUT = env.float("AUGEO_LIVE_PUBLISH_TIMEOUT", default=1.0)
LIVE_PUBLISH_QUEUE = env.int("AUGEO_LIVE_PUBLISH_QUEUE", default=10_000)
# Joining a room (apps/live/auth.py, tickets.py): a connect ticket (POST /api/v1/live/tickets/) is
# valid this many seconds, once. The JWT in `?token=` is deprecated (it lands in access logs); false
# refuses it now (4401) instead of at the end of the deprecation period.
LIVE_TICKET_SECONDS = env.int("AUGEO_LIVE_TICKET_SECONDS", default=30)
LIVE_ACCEPT_TOKEN_PARAM = env.bool("AUGEO_LIVE_ACCEPT_TOKEN_PARAM", default=True)
# Open sockets (apps/live/limits.py): at most this many per signed-in user and per client IP (a gala
# room shares one public IP: hundreds of guests with a phone each, a second tab, the projector, the
# clerks' screens), counted across processes in Redis; over the cap the socket closes with 4429.
# Every LIVE_RECHECK_SECONDS a socket re-checks its user (active, not signed out everywhere, session
# alive, consent) and the event's visibility, and renews its place in the count (a crashed process's
# sockets drop out of the count after three missed renewals). A client sending more than
# LIVE_CLIENT_FRAMES frames in 10 seconds (a ping every 25 s is the protocol) is closed with 1008.
LIVE_MAX_SOCKETS_PER_USER = env.int("AUGEO_LIVE_MAX_SOCKETS_PER_USER", default=10)
LIVE_MAX_SOCKETS_PER_IP = env.int("AUGEO_LIVE_MAX_SOCKETS_PER_IP", default=1000)
LIVE_RECHECK_SECONDS = env.float("AUGEO_LIVE_RECHECK_SECONDS", default=60.0)
LIVE_CLIENT_FRAMES = env.int("AUGEO_LIVE_CLIENT_FRAMES", default=20)
