"""Regressions found by ``scripts/fuzz.sh``: OPTIONS metadata and schema corrections (core parts)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from apps.core.api.metadata import declares_serializer


@cache
def project_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def component(name: str) -> dict[str, Any]:
    return project_schema()["components"]["schemas"][name]


class _Body(serializers.Serializer):
    name = serializers.CharField()


class _Declared(viewsets.GenericViewSet):
    serializer_class = _Body


class _Overridden(viewsets.GenericViewSet):
    def get_serializer_class(self) -> type[serializers.Serializer]:
        return _Body


class _Bare(viewsets.GenericViewSet):
    permission_classes = [AllowAny]

    def create(self, request: Request) -> Response:
        return Response(status=201)


def test_declares_serializer() -> None:
    assert declares_serializer(_Declared())
    assert declares_serializer(_Overridden())
    assert not declares_serializer(_Bare())


@pytest.mark.django_db
def test_options_without_a_serializer_omits_actions_instead_of_failing() -> None:
    """DRF's SimpleMetadata asserted (a 500) on views that parse their bodies by hand."""
    view = _Bare.as_view({"post": "create"})
    r = view(APIRequestFactory().options("/x/"))
    r.render()
    assert r.status_code == 200
    assert "actions" not in r.data and r.data["name"]


@pytest.mark.django_db
def test_options_with_a_serializer_still_describes_the_body() -> None:
    class Declared(_Bare):
        serializer_class = _Body

    r = Declared.as_view({"post": "create"})(APIRequestFactory().options("/x/"))
    assert r.status_code == 200 and "name" in r.data["actions"]["POST"]


def test_blank_email_and_url_fields_carry_no_format() -> None:
    """NPO ``email``/``website`` may be ``""`` (blank until submission): no email/uri format."""
    props = component("NPO")["properties"]
    assert "format" not in props["email"] and props["email"]["type"] == "string"
    assert "format" not in props["website"]


def test_guest_blank_email_carries_no_format() -> None:
    assert "format" not in component("Guest")["properties"]["email"]


def test_mandatory_email_keeps_its_format() -> None:
    """Only blankable fields lose the format; a required e-mail (login) keeps it."""
    assert component("LoginRequest")["properties"]["email"]["format"] == "email"
