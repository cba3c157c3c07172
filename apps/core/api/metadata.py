"""OPTIONS metadata that never fails (api.md: "never a 500 for any input").

DRF's ``SimpleMetadata`` describes the POST/PUT body of a view by instantiating
``view.get_serializer()``. Views that parse their bodies by hand inside ``@action``s (several
per-event auction endpoints) declare no ``serializer_class``, and DRF's
``GenericAPIView.get_serializer_class`` then asserts — an ``OPTIONS`` request became a 500. Such a
view has no single body to describe, so its ``OPTIONS`` answer simply omits ``actions``; the OpenAPI
schema at ``/api/schema/`` documents every body anyway.
"""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


def declares_serializer(view: Any) -> bool:
    """True when ``view.get_serializer()`` can build a serializer without asserting."""
    # Imported here: rest_framework.views reads DEFAULT_METADATA_CLASS while it is being imported,
    # and rest_framework.generics imports rest_framework.views.
    from rest_framework.generics import GenericAPIView

    if getattr(view, "serializer_class", None) is not None:
        return True
    get_class = getattr(type(view), "get_serializer_class", None)
    return get_class is not None and get_class is not GenericAPIView.get_serializer_class


class Metadata(SimpleMetadata):
    """``SimpleMetadata`` minus ``actions`` for views without a declared serializer."""

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        if not declares_serializer(view):
            return {}
        return super().determine_actions(request, view)
