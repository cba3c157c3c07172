"""Cookie preferences (legal.md "Consent"): ``essential`` is always on; ``analytics`` and
``marketing`` are the choices. Visitors are keyed by the random id of their ``augeo_visitor``
cookie, users by their account; every change is a row of the consent log.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction

from apps.legal.models import ConsentAction, ConsentRecord, CookiePreference
from apps.users.models import User

USER_AGENT_MAX = 300


def _choices(preference: CookiePreference) -> dict[str, bool]:
    return {"essential": True, "analytics": preference.analytics, "marketing": preference.marketing}


def _locked_preference(*, user: User | None, visitor_id: uuid.UUID | None) -> CookiePreference:
    """The subject's row, locked; created (default choices) when missing, race-safe."""
    lookup: dict[str, Any] = {"user": user} if user is not None else {"visitor_id": visitor_id}
    row = CookiePreference.objects.select_for_update().filter(**lookup).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return CookiePreference.objects.create(**lookup)
    except IntegrityError:  # created by a concurrent request of the same subject
        return CookiePreference.objects.select_for_update().get(**lookup)


@transaction.atomic
def cookie_consent_set(
    *,
    user: User | None,
    visitor_id: uuid.UUID | None,
    analytics: bool,
    marketing: bool,
    ip: str | None = None,
    user_agent: str = "",
) -> CookiePreference:
    """Store the choices of a user (when signed in) or of a visitor id, and log the change."""
    if user is None and visitor_id is None:
        raise ValueError("cookie choices need a user or a visitor id")
    preference = _locked_preference(user=user, visitor_id=None if user is not None else visitor_id)
    preference.analytics, preference.marketing = bool(analytics), bool(marketing)
    preference.save(update_fields=["analytics", "marketing", "updated_at"])
    ConsentRecord.objects.create(
        user=user,
        visitor_id=None if user is not None else visitor_id,
        action=ConsentAction.COOKIES,
        choices=_choices(preference),
        ip_address=ip,
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
    )
    return preference


@transaction.atomic
def cookie_consent_carry_over(
    *, user: User, visitor_id: uuid.UUID | None, ip: str | None = None, user_agent: str = ""
) -> bool:
    """At sign-in: a visitor's choices become the user's when the user has made none yet (legal.md).
    The log row names both the user and the visitor id. True when something was carried over."""
    if visitor_id is None or CookiePreference.objects.filter(user=user).exists():
        return False
    visitor = CookiePreference.objects.filter(visitor_id=visitor_id).first()
    if visitor is None:
        return False
    try:
        with transaction.atomic():
            preference = CookiePreference.objects.create(
                user=user, analytics=visitor.analytics, marketing=visitor.marketing
            )
    except IntegrityError:  # a parallel sign-in carried it over first
        return False
    ConsentRecord.objects.create(
        user=user,
        visitor_id=visitor_id,
        action=ConsentAction.COOKIES,
        choices=_choices(preference),
        ip_address=ip,
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
    )
    return True
