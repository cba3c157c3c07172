"""The live app's one endpoint: a connect ticket for the WebSocket (``apps.live.tickets``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import APIView
from apps.core.api.schema import ERROR_ENVELOPE_SCHEMA
from apps.live.api.serializers import TicketSerializer
from apps.live.tickets import ticket_issue


class TicketView(APIView):
    """Trade the caller's JWT (or session) for a one-time ticket to open a WebSocket with: a JWT in
    the socket's URL would end up in access logs. 201: every call creates a new ticket."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["live"],
        request=None,
        responses={
            201: TicketSerializer,
            503: OpenApiResponse(
                response=ERROR_ENVELOPE_SCHEMA, description="SERVICE_UNAVAILABLE: the ticket store (Redis) is down"
            ),
        },
        summary="A one-time ticket to open the live WebSocket (/ws/events/{id}/?ticket=…)",
        description=(
            "Single use, valid for `expires_in` seconds (30), bound to the caller. Open "
            "`wss://HOST/ws/events/{event_id}/?ticket=<ticket>`; a used, expired or unknown ticket "
            "closes the socket with 4401. Replaces the deprecated `?token=<JWT>`."
        ),
    )
    def post(self, request: Request) -> Response:
        ticket = ticket_issue(user=request.user)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)
