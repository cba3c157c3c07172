"""The public site's writes: contact messages and testimonials (legal.md "Public site and contact").

A contact message is stored and e-mailed to ``AUGEO_CONTACT_EMAIL`` through the outbox in the same
transaction, at most ``THROTTLE_RATE_CONTACT`` per client IP (the ``contact`` scope, counted over the
stored messages, so it holds while the cache is down: 429 ``THROTTLED``). The ``website`` field is a
honeypot people never see: a filled one is dropped silently (the API still answers 201, so a bot
learns nothing). Field limits are checked by the serializer and
again by the database (``contact_message_length``). Testimonials are written by super admins in the
admin, through :func:`testimonial_save`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.outbox import email_queue
from apps.core.services import audit_record
from apps.core.throttling import rows_limit_check
from apps.legal.models import ContactMessage, Testimonial

logger = logging.getLogger("augeo.legal")

CONTACT_TEMPLATE = "legal/contact"


@transaction.atomic
def contact_message_submit(
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    website: str = "",
    ip: str | None = None,
    user_agent: str = "",
) -> ContactMessage | None:
    """Store a contact message and e-mail it to the platform. ``None`` when the honeypot was filled
    (nothing stored, nothing sent)."""
    if website and website.strip():
        logger.info("contact form honeypot filled; message dropped")
        return None
    rows_limit_check(
        ContactMessage.objects.filter(ip_address=ip),
        scope="contact",
        message="Too many messages from your address; try again later.",
    )
    row = ContactMessage.objects.create(
        name=name.strip(),
        email=email.strip(),
        subject=subject.strip(),
        message=message.strip(),
        ip_address=ip,
        user_agent=(user_agent or "")[:300],
    )
    recipient = getattr(settings, "AUGEO_CONTACT_EMAIL", "")
    if recipient:
        email_queue(
            template=CONTACT_TEMPLATE,
            to=recipient,
            context={
                "sender_name": row.name,
                "sender_email": row.email,
                "subject": row.subject,
                "message": row.message,
            },
            ref=f"legal.contactmessage:{row.pk}",
        )
    return row


@transaction.atomic
def contact_message_mark_handled(
    *, message: ContactMessage, actor: Any, handled: bool = True, ip: str | None = None
) -> ContactMessage:
    """Mark a message handled (or not yet handled again); audited."""
    message = ContactMessage.objects.select_for_update().get(pk=message.pk)
    if message.handled == handled:
        return message
    message.handled = handled
    message.handled_at = timezone.now() if handled else None
    message.handled_by = actor if handled else None
    message.save(update_fields=["handled", "handled_at", "handled_by", "updated_at"])
    audit_record(actor=actor, action="contact.handled" if handled else "contact.reopened", obj=message, ip=ip)
    return message


@transaction.atomic
def testimonial_save(*, testimonial: Testimonial, actor: Any, ip: str | None = None) -> Testimonial:
    """Create or change a testimonial (admin); audited."""
    created = testimonial._state.adding
    testimonial.full_clean()
    testimonial.save()
    audit_record(
        actor=actor,
        action="testimonial.created" if created else "testimonial.updated",
        obj=testimonial,
        ip=ip,
        details={"published": testimonial.published},
    )
    return testimonial


@transaction.atomic
def testimonial_delete(*, testimonial: Testimonial, actor: Any, ip: str | None = None) -> None:
    audit_record(actor=actor, action="testimonial.deleted", obj=testimonial, ip=ip)
    testimonial.delete()
