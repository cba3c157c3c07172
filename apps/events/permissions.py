"""What each event endpoint needs (permissions.md), declared once: the API views point at these maps
(``capabilities = permissions.EVENT``) and the admin reads the same entries.

Keys are those of :class:`apps.npos.tenancy.api.DeclaredCapabilities` (the viewset action, or a named
sub-case the view checks explicitly, like ``"private"``). An action not listed needs only visibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from apps.npos.capabilities import Capability, Requirement

MANAGE: Final = Capability.EVENTS_MANAGE

#: ``/events/…``: every write and every state change of an event.
EVENT: Final[Mapping[str, Requirement]] = dict.fromkeys(
    ("create", "partial_update", "destroy", "publish", "unpublish", "close"), MANAGE
)

#: An event's children (links, food options): every write; ``"private"``: the fields only managers
#: read (a sponsor's contact, its donation).
EVENT_CHILD: Final[Mapping[str, Requirement]] = dict.fromkeys(
    ("create", "partial_update", "destroy", "private"), MANAGE
)

#: ``/events/{id}/media/…``: the children's writes and the two steps of a direct upload.
MEDIA: Final[Mapping[str, Requirement]] = {**EVENT_CHILD, "upload_url": MANAGE, "confirm": MANAGE}

#: ``/events/{id}/sponsors/…``: the children's writes and reordering.
SPONSORS: Final[Mapping[str, Requirement]] = {**EVENT_CHILD, "reorder": MANAGE}
