"""Output shape of ``POST /api/v1/live/tickets/`` (live.md "Transport")."""

from __future__ import annotations

from rest_framework import serializers


class TicketSerializer(serializers.Serializer):
    """A one-time connect ticket for ``/ws/events/{id}/?ticket=…``."""

    ticket = serializers.CharField(help_text="Send as ?ticket= when opening the WebSocket; valid once.")
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid (30 by default).")
