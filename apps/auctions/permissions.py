"""What each auction endpoint needs (permissions.md), declared once. The API views point at these
maps (``capabilities = permissions.ITEM``) and the admin's actions and pages read the same entries
(``ITEM["open"]``), so opening an item needs the same capability in both.

Keys are those of :class:`apps.npos.tenancy.api.DeclaredCapabilities`: the viewset action, the action
and HTTP method when they differ (``"pledges:get"``) or a named sub-case checked explicitly
(``"bids:clerk"``). A tuple is "any one of them"; an action not listed needs only visibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from apps.npos.capabilities import Capability, Requirement

MANAGE: Final = Capability.EVENTS_MANAGE
CLERK: Final = Capability.AUCTION_CLERK

#: ``/events/{id}/items/``: the catalogue is public; creating items and setting closing times is not.
EVENT_ITEMS: Final[Mapping[str, Requirement]] = {"create": MANAGE, "closing_time": MANAGE}

#: ``/items/{id}/…``: one item, its lifecycle, bids, live sales and images.
ITEM: Final[Mapping[str, Requirement]] = {
    "partial_update": MANAGE,
    "destroy": MANAGE,
    "open": (MANAGE, CLERK),
    "close": (MANAGE, CLERK),
    "withdraw": MANAGE,
    "bids:clerk": CLERK,  # a bid entered for a bidder number (the clerk path)
    "sales": CLERK,
    "sale_undo": CLERK,
    "images:post": MANAGE,
    "image_delete": MANAGE,
}

#: ``/events/{id}/…``: the paddle raise, pledges, totals and the caller's bids.
EVENT_AUCTION: Final[Mapping[str, Requirement]] = {
    "paddle_raise:post": MANAGE,
    "pledges:get": (CLERK, Capability.REPORTS_VIEW),
    "pledges:clerk": CLERK,  # a pledge entered for a bidder number (the clerk path)
    "pledge_undo": CLERK,
}
