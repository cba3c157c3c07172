"""E-mails of the NPO workflow and team invitations (templates under ``templates/emails/npos/``).

Rows of the platform's outbox (apps.core.outbox), one per recipient, written in the surrounding
transaction: a rolled-back change never mails anyone, and a mail server outage never rolls back a
committed decision (the row is retried). An invitation token is sealed, never stored in clear.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from apps.core import outbox
from apps.npos.capabilities import Capability, roles_with
from apps.npos.models import NPO, Membership, MembershipStatus


def send_after_commit(template: str, recipients: list[str], context: dict[str, Any]) -> None:
    secrets = {key: context[key] for key in ("token",) if key in context}
    public = {key: value for key, value in context.items() if key not in secrets}
    for recipient in sorted({r for r in recipients if r}):
        outbox.email_queue(template=f"npos/{template}", to=recipient, context=public, secrets=secrets)


def npo_admin_emails(npo: NPO) -> list[str]:
    """Addresses of the NPO's active members holding ``npo.manage`` (its admins)."""
    return list(
        Membership.objects.filter(
            npo=npo, status=MembershipStatus.ACTIVE, role__in=roles_with(Capability.NPO_MANAGE), user__is_active=True
        ).values_list("user__email", flat=True)
    )


def platform_admin_emails() -> list[str]:
    return list(get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("email", flat=True))
