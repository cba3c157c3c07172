"""What each NPO and team endpoint needs (permissions.md), declared once: the API views point at
these maps (``capabilities = permissions.MEMBERS``) and the admin's pages and actions read the same
entries, so removing a member needs the same capability in both.

Keys are those of :class:`apps.npos.tenancy.api.DeclaredCapabilities` (the viewset action, or the
action and HTTP method when they differ: ``"branding:patch"``). An action not listed needs only
visibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from apps.npos.capabilities import Capability as C
from apps.npos.capabilities import Requirement

#: ``/npos/…``: editing the NPO, its branding, submitting it for approval.
NPO: Final[Mapping[str, Requirement]] = {
    "partial_update": C.NPO_MANAGE,
    "destroy": C.NPO_MANAGE,
    "submit": C.NPO_MANAGE,
    "branding:patch": C.NPO_MANAGE,
}

#: ``/npos/{id}/members/…``: changing a member's role, removing a member.
MEMBERS: Final[Mapping[str, Requirement]] = {"partial_update": C.TEAM_MANAGE, "destroy": C.TEAM_MANAGE}

#: ``/npos/{id}/invitations/…``: every invitation endpoint.
INVITATIONS: Final[Mapping[str, Requirement]] = dict.fromkeys(("list", "create", "destroy", "resend"), C.TEAM_MANAGE)
