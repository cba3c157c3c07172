"""What the NPOs app says about an account deletion (registered with ``apps.legal.hooks`` in
``LegalConfig.ready``: legal sits above npos): the last active admin of an NPO cannot leave it
without an admin."""

from __future__ import annotations

from typing import Any

from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.npos.authz import memberships_of
from apps.npos.capabilities import Role
from apps.npos.models import NPO, Membership, MembershipStatus


def last_admin_blocker(user: Any) -> None:
    """409 ``LAST_ADMIN`` when ``user`` is the only active admin of a live NPO. The NPO rows are
    locked (the lock ``member_update``/``member_remove`` take), so two admins of one NPO deleting
    their accounts at once cannot both succeed."""
    npo_ids = list(memberships_of(user).filter(role=Role.ADMIN).values_list("npo_id", flat=True))
    for npo in NPO.objects.select_for_update().filter(pk__in=npo_ids).order_by("pk"):
        others = (
            Membership.objects.filter(npo=npo, status=MembershipStatus.ACTIVE, role=Role.ADMIN)
            .exclude(user=user)
            .exists()
        )
        if not others:
            raise Conflict(
                ErrorCode.LAST_ADMIN,
                f"You are the last admin of {npo.name}; make someone else admin there first.",
                npo=str(npo.pk),
            )
