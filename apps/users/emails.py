"""Account e-mails, rendered from ``templates/emails/`` and sent after the transaction commits."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string

from apps.users.models import User

logger = logging.getLogger("augeo.users.emails")


def _send(template: str, to: str, context: dict[str, Any]) -> None:
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    body = render_to_string(f"emails/{template}.txt", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    with contextlib.suppress(TemplateDoesNotExist):  # the HTML part is optional
        message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()


def send_on_commit(template: str, user: User, **context: Any) -> None:
    """Queue an e-mail to ``user`` once the surrounding transaction commits (never for a rolled-back
    change). ``robust``: a mail server outage is logged, it does not fail the request."""
    context = {"user": user, "frontend_url": settings.FRONTEND_URL.rstrip("/"), **context}
    email = user.email
    transaction.on_commit(lambda: _send(template, email, context), robust=True)
