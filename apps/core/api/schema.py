"""drf-spectacular schema class: documents the error envelope on every operation.

Every operation gets the error responses it can actually answer, all pointing at one
``ErrorEnvelope`` component (the shape of api.md "Conventions"):

* 400 ``VALIDATION_ERROR`` — operations with a request body, and lists (invalid filters/page);
* 401 ``NOT_AUTHENTICATED``/``TOKEN_INVALID`` — any operation with an authenticator (a bad token is
  refused even on public endpoints);
* 403 ``PERMISSION_DENIED`` — operations whose permissions are not all ``AllowAny``;
* 404 ``NOT_FOUND`` — routes with a path parameter, and lists (a page past the end);
* 409 business-rule codes — writes (POST/PUT/PATCH/DELETE);
* 429 ``THROTTLED`` with ``Retry-After`` — operations with throttles.

A response a view declares itself (``@extend_schema(responses={409: ...})``) is kept as declared.

Two corrections make the schema describe what the API really answers (found by
``scripts/fuzz.sh``'s response-schema check):

* a string field that accepts ``""`` (``allow_blank``) loses its ``email``/``uri`` format — a blank
  NPO e-mail or website is valid and is answered as ``""``;
* ``@action(pagination_class=None)`` is documented as a plain array, not a page;
* a serializer may list ``SCHEMA_OPTIONAL_FIELDS``: fields its ``to_representation`` drops for
  some callers (private sponsor contacts, a donor's own bid state), so they are not ``required``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answers this shape (api.md Conventions).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Machine-readable code, e.g. VALIDATION_ERROR, BID_TOO_LOW."},
                "message": {"type": "string", "description": "A human sentence."},
                "fields": {
                    "type": "object",
                    "description": "Field name → list of messages (validation errors only).",
                    "additionalProperties": {},
                },
            },
            "required": ["code", "message"],
            "additionalProperties": {"description": "Extra details of a business-rule code, e.g. min_bid."},
        }
    },
    "required": ["error"],
}

DESCRIPTIONS = {
    "400": "VALIDATION_ERROR: invalid input or malformed JSON (`fields` names the offending fields).",
    "401": "NOT_AUTHENTICATED (no credentials) or TOKEN_INVALID (expired, revoked or tampered token).",
    "403": "PERMISSION_DENIED: signed in, but may not do this.",
    "404": "NOT_FOUND: does not exist, or is not visible to the caller.",
    "409": "A business-rule code (api.md / bidding.md), e.g. INVALID_TRANSITION; CONSENT_REQUIRED (with "
    "`required`: type → version) for a signed-in caller who must accept the legal documents first.",
    "429": "THROTTLED or ACCOUNT_LOCKED; retry after `Retry-After` seconds.",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Apps add statuses an operation can answer beyond the rules below: ``func(schema) -> ["409"]``
#: (the consent gate of apps.legal answers 409 CONSENT_REQUIRED on reads too). Registered in ``ready``.
EXTRA_ERROR_STATUSES: list[Callable[[Any], list[str]]] = []


BLANKABLE_FORMATS = frozenset({"email", "uri"})


def accepts_blank(field: Any) -> bool:
    """The field takes or answers ``""``: ``allow_blank``, or a read-only copy of a ``blank`` model field."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not isinstance(source, str) or "." in source:
        return False
    try:
        return bool(model._meta.get_field(source).blank)
    except FieldDoesNotExist:  # a property or method: nothing says it may be blank
        return False


class _AnonymousProbe:
    """The bits of a request a permission's ``has_permission`` reads, for an anonymous caller."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.user = AnonymousUser()
        self.auth = None
        self.query_params: dict[str, str] = {}
        self.data: dict[str, Any] = {}


class AutoSchema(SpectacularAutoSchema):
    """Adds the envelope responses listed in the module docstring to every operation, and says
    which operations anonymous callers may use (``security`` includes ``{}``)."""

    def allows_anonymous(self) -> bool:
        """Would the view's permissions let an anonymous caller through for this method? Asked of
        the permissions themselves (``IsAuthenticated | ReadOnly`` composes), so the schema follows
        the code. Object-level rules (a draft answers 404) come later and do not change the answer."""
        try:
            permissions = self.view.get_permissions()
        except Exception:  # a view that needs a real request to pick its permissions
            return False
        probe = _AnonymousProbe(self.method)
        try:
            return all(permission.has_permission(probe, self.view) for permission in permissions)
        except Exception:
            return False

    def get_auth(self) -> list[dict[str, Any]]:
        auths = [auth for auth in super().get_auth() if auth]
        if self.allows_anonymous() or not auths:
            auths.append({})
        return auths

    def _get_paginator(self) -> Any:
        # ``@action(pagination_class=None)`` reaches the live view through the route's initkwargs,
        # which drf-spectacular does not apply to the view it inspects: honour it here, so an
        # action answering a plain array is not documented as a page.
        handler = getattr(self.view, getattr(self.view, "action", None) or "", None)
        action_kwargs = getattr(handler, "kwargs", None) or {}
        if "pagination_class" in action_kwargs and action_kwargs["pagination_class"] is None:
            return None
        return super()._get_paginator()

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        # drf-spectacular adds email/uri formats here too (from the field's validators).
        super()._insert_field_validators(field, schema)
        if schema.get("format") in BLANKABLE_FORMATS and accepts_blank(field):
            del schema["format"]

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        schema = super()._map_basic_serializer(serializer, direction)
        optional = getattr(serializer, "SCHEMA_OPTIONAL_FIELDS", ())
        if optional and direction == "response" and schema.get("required"):
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _error_component(self) -> ResolvedComponent:
        component = ResolvedComponent(
            name="ErrorEnvelope",
            type=ResolvedComponent.SCHEMA,
            object="ErrorEnvelope",
            schema=ERROR_ENVELOPE_SCHEMA,
        )
        self.registry.register_on_missing(component)
        return component

    def error_statuses(self) -> list[str]:
        """The error statuses this operation documents (see the module docstring)."""
        statuses: list[str] = []
        has_body = self.method in {"POST", "PUT", "PATCH"}
        is_list = self.method == "GET" and self._is_list_view()
        if has_body or is_list:
            statuses.append("400")
        if getattr(self.view, "authentication_classes", None):
            statuses.append("401")
        permissions = self.view.get_permissions() if hasattr(self.view, "get_permissions") else []
        if not all(isinstance(p, AllowAny) for p in permissions):
            statuses.append("403")
        if "{" in self.path or is_list:
            statuses.append("404")
        if self.method in WRITE_METHODS:
            statuses.append("409")
        if getattr(self.view, "throttle_classes", None):
            statuses.append("429")
        for extra in EXTRA_ERROR_STATUSES:
            statuses.extend(status for status in extra(self) if status not in statuses)
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        ref = self._error_component().ref
        for status in self.error_statuses():
            if status in responses:
                continue
            response: dict[str, Any] = {
                "content": {"application/json": {"schema": ref}},
                "description": DESCRIPTIONS[status],
            }
            if status == "429":
                response["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
                }
            responses[status] = response
        return responses
