"""Signal receivers of the legal app (connected in ``LegalConfig.ready``)."""

from __future__ import annotations

from typing import Any

from apps.core.net import client_ip
from apps.legal.cookies import visitor_id_from
from apps.legal.services.cookies import cookie_consent_carry_over


def carry_over_cookie_choices(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """``user_logged_in`` (every sign-in: the API's, the pages' and the admin's): a visitor's cookie
    choices become the user's when they have none (legal.md)."""
    if request is None or user is None:
        return
    cookie_consent_carry_over(
        user=user,
        visitor_id=visitor_id_from(request),
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
