"""The role → capability table (permissions.md). The only module that names roles.

Code everywhere else asks for a capability (``Capability.EVENTS_MANAGE``), never a role. A super
admin holds every capability in every NPO.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    COORDINATOR = "coordinator", "Coordinator"
    STAFF = "staff", "Staff (check-in)"
    AUCTIONEER = "auctioneer", "Auctioneer"
    CASHIER = "cashier", "Cashier"


class Capability(models.TextChoices):
    NPO_MANAGE = "npo.manage", "Manage the NPO"
    TEAM_MANAGE = "team.manage", "Manage the team"
    EVENTS_MANAGE = "events.manage", "Manage events"
    ATTENDANCE_VIEW = "attendance.view", "View attendance"
    ATTENDANCE_MANAGE = "attendance.manage", "Manage attendance"
    CHECKIN_PERFORM = "checkin.perform", "Check guests in"
    AUCTION_CLERK = "auction.clerk", "Clerk the auction"
    CHECKOUT_MANAGE = "checkout.manage", "Manage checkout"
    REPORTS_VIEW = "reports.view", "View reports"


C = Capability

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Capability.values),
    Role.COORDINATOR: frozenset(
        {
            C.EVENTS_MANAGE,
            C.ATTENDANCE_VIEW,
            C.ATTENDANCE_MANAGE,
            C.CHECKIN_PERFORM,
            C.AUCTION_CLERK,
            C.CHECKOUT_MANAGE,
            C.REPORTS_VIEW,
        }
    ),
    Role.STAFF: frozenset({C.ATTENDANCE_VIEW, C.CHECKIN_PERFORM}),
    Role.AUCTIONEER: frozenset({C.AUCTION_CLERK}),
    Role.CASHIER: frozenset({C.ATTENDANCE_VIEW, C.CHECKOUT_MANAGE, C.REPORTS_VIEW}),
}


Requirement = str | tuple[str, ...]
"""What an action needs: one capability, or a tuple of which any one is enough. Declared once per
action (the viewsets' ``capabilities`` maps, read by the admin too) and understood by
:mod:`apps.npos.authz` everywhere."""


def capabilities_in(requirement: Requirement) -> tuple[str, ...]:
    return (requirement,) if isinstance(requirement, str) else tuple(requirement)


def roles_with(capability: Requirement) -> list[str]:
    """The roles that grant ``capability`` (any of a tuple) — what selectors filter memberships on."""
    wanted = set(capabilities_in(capability))
    return [role for role, caps in ROLE_CAPABILITIES.items() if caps & wanted]
