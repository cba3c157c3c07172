"""E-mails of the NPO workflow and team invitations (templates under ``templates/emails/npos/``).

Always sent after the surrounding transaction commits (``transaction.on_commit``), so a rolled-back
change never mails anyone, and a mail server outage never rolls back a committed decision.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from apps.npos.capabilities import Capability
from apps.npos.models import NPO, Membership, MembershipStatus

logger = logging.getLogger("augeo.npos")


def _send(template: str, recipients: list[str], context: dict[str, Any]) -> None:
    context = {"frontend_url": settings.FRONTEND_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"emails/npos/{template}_subject.txt", context).split())
    body = render_to_string(f"emails/npos/{template}.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # the decision is committed; a mail outage must not turn it into an error
        logger.exception("could not send %s e-mail", template)


def send_after_commit(template: str, recipients: list[str], context: dict[str, Any]) -> None:
    recipients = sorted({r for r in recipients if r})
    if recipients:
        transaction.on_commit(lambda: _send(template, recipients, context))


def npo_admin_emails(npo: NPO) -> list[str]:
    """Addresses of the NPO's active members holding ``npo.manage`` (its admins)."""
    from apps.npos.capabilities import roles_with

    return list(
        Membership.objects.filter(
            npo=npo, status=MembershipStatus.ACTIVE, role__in=roles_with(Capability.NPO_MANAGE), user__is_active=True
        ).values_list("user__email", flat=True)
    )


def platform_admin_emails() -> list[str]:
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("email", flat=True))
