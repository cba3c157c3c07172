"""The API root: the browsable entry point at ``/api/v1/``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

ENTRY_POINTS = {
    "auth_login": "auth/login/",
    "auth_register": "auth/register/",
    "me": "users/me/",
    "npos": "npos/",
    "events": "events/",
    "public_events": "public/events/",
    "registrations": "registrations/",
    "schema": "/api/schema/",
    "docs": "/api/docs/",
}


class ApiRootView(APIView):
    """Links to the main collections, so a browser landing on ``/api/v1/`` can navigate the API.

    Public: it reveals nothing but the shape of the API, which the schema documents anyway.
    """

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiResponse(description="Links to the main collections.")})
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri("/api/v1/")
        return Response(
            {
                name: request.build_absolute_uri(path) if path.startswith("/") else f"{base}{path}"
                for name, path in ENTRY_POINTS.items()
            }
        )
