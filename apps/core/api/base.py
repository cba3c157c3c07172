"""The project's DRF base views: every ``/api/v1/`` view inherits one of these, never DRF's own.

What they add is :class:`RequestGateMixin`: right after authentication (so a bad token is still 401
first) and before permissions, every registered *request gate* runs. A gate is a function of the
request that returns nothing or raises a :class:`~apps.core.exceptions.DomainError`; an app registers
its gates in its ``AppConfig.ready`` with :func:`register_gate` (the consent gate of ``apps.legal``:
a signed-in caller who still has to accept the terms answers 409 ``CONSENT_REQUIRED``). Core owns the
registry and knows no gate by name, so it imports no domain app.

A Django middleware could not do this: DRF authenticates JWT callers inside the view.
``apps/core/tests/test_api_base_views.py`` walks the URL conf and fails for an ``/api/v1/`` view that
does not inherit the mixin.
"""

from __future__ import annotations

from collections.abc import Callable

from rest_framework import generics, views, viewsets
from rest_framework.request import Request

#: A check every API request passes after authentication: raises to refuse, returns to let it through.
RequestGate = Callable[[Request], None]

_gates: list[RequestGate] = []


def register_gate(gate: RequestGate) -> None:
    """Run ``gate`` on every API request from now on (once, however often ``ready`` runs)."""
    if gate not in _gates:
        _gates.append(gate)


def registered_gates() -> tuple[RequestGate, ...]:
    return tuple(_gates)


class RequestGateMixin:
    """Runs the registered request gates between authentication and the permission checks."""

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)  # type: ignore[misc]
        for gate in _gates:
            gate(request)


class APIView(RequestGateMixin, views.APIView):
    """DRF's ``APIView`` with the request gates."""


class GenericAPIView(RequestGateMixin, generics.GenericAPIView):
    """DRF's ``GenericAPIView`` with the request gates."""


class ListAPIView(RequestGateMixin, generics.ListAPIView):
    """DRF's ``ListAPIView`` with the request gates."""


class ViewSet(RequestGateMixin, viewsets.ViewSet):
    """DRF's ``ViewSet`` with the request gates."""


class GenericViewSet(RequestGateMixin, viewsets.GenericViewSet):
    """DRF's ``GenericViewSet`` with the request gates."""


class ModelViewSet(RequestGateMixin, viewsets.ModelViewSet):
    """DRF's ``ModelViewSet`` with the request gates."""


__all__ = [
    "APIView",
    "GenericAPIView",
    "GenericViewSet",
    "ListAPIView",
    "ModelViewSet",
    "RequestGate",
    "RequestGateMixin",
    "ViewSet",
    "register_gate",
    "registered_gates",
]
