"""What apps above ``users`` plug into it, registered in their ``AppConfig.ready`` (a lower app never
imports a higher one). Django's own ``user_logged_in`` signal covers sign-ins (the API's login sends
it too); :mod:`apps.users.signals` the cut-off of a user's sessions.

* **Sign-up terms** — :func:`signup_terms_provide`: what a person accepts by signing up (apps.legal:
  the current terms of service and privacy policy). ``user_register`` checks the submitted versions
  before the account exists (400 when they are not the current ones) and records the acceptance in
  the same transaction; the sign-up page shows what is to be accepted. Without a provider nothing is
  asked.
* **Memberships** — :func:`memberships_provide`: the ``[{npo, role}]`` of the own profile
  (``/users/me/``; apps.npos). Without a provider the list is empty.

:func:`check` (run by ``test_hooks.py``) asserts a complete installation registered both: a missing
one must fail a test, not quietly sign people up without their consent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class SignUpTerms(Protocol):
    """The documents a person accepts by signing up."""

    def current(self) -> dict[str, Any]:
        """``{document type: version}`` to accept now (``{}``: nothing is published)."""

    def check(self, given: dict[str, str | None], *, fields: dict[str, str]) -> Any:
        """Check the versions sent (``given``: type → version or None; ``fields``: type → the request
        field named in errors); raise ``ValidationFailed`` when one is missing or not current.
        Returns what :meth:`record` needs."""

    def record(self, *, user: Any, accepted: Any, ip: str | None, user_agent: str) -> None:
        """Record the acceptance of the new account, inside the sign-up's transaction."""


class _NothingToAccept:
    def current(self) -> dict[str, Any]:
        return {}

    def check(self, given: dict[str, str | None], *, fields: dict[str, str]) -> Any:
        return None

    def record(self, *, user: Any, accepted: Any, ip: str | None, user_agent: str) -> None:
        return None


MembershipSummaries = Callable[[Any], list[dict[str, str]]]

_signup_terms: list[SignUpTerms] = []
_memberships: list[MembershipSummaries] = []


def signup_terms_provide(terms: SignUpTerms) -> None:
    """Register what a sign-up accepts (one provider; a later one replaces it)."""
    _signup_terms[:] = [terms]


def signup_terms() -> SignUpTerms:
    return _signup_terms[0] if _signup_terms else _NothingToAccept()


def memberships_provide(func: MembershipSummaries) -> None:
    """Register ``func(user) -> [{"npo": id, "role": role}]`` (one provider; a later one replaces it)."""
    _memberships[:] = [func]


def membership_summaries(user: Any) -> list[dict[str, str]]:
    """The user's memberships as ``/users/me/`` lists them (``[]`` without a provider)."""
    return _memberships[0](user) if _memberships else []


def check() -> None:
    registries = {"signup_terms": _signup_terms, "memberships": _memberships}
    missing = [name for name, registry in registries.items() if not registry]
    if missing:
        raise ImproperlyConfigured(f"users hooks not registered: {', '.join(missing)}")
