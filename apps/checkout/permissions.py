"""What each checkout endpoint needs (permissions.md), declared once. The API views point at these
maps (``capabilities = permissions.STATEMENTS``) and the admin's cashier pages read the same
entries: the payment queue takes payments like ``POST …/statements/{n}/payments/``
(``STATEMENTS["payments"]``), the dashboard is the reports endpoint (``REPORTS["report"]``).

Keys are those of :class:`apps.npos.tenancy.api.DeclaredCapabilities` (the viewset action).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from apps.npos.capabilities import Capability, Requirement

#: ``/events/{id}/statements/…``: the cashier's work.
STATEMENTS: Final[Mapping[str, Requirement]] = dict.fromkeys(
    ("list", "retrieve", "payments", "refund", "donations", "donation_undo", "receipt", "receipt_send"),
    Capability.CHECKOUT_MANAGE,
)

#: ``/events/{id}/my-statement/…``: the donor's own statement (their guest row is the check).
MY_STATEMENT: Final[Mapping[str, Requirement]] = {}

#: ``/events/{id}/reports/{name}/``.
REPORTS: Final[Mapping[str, Requirement]] = {"report": Capability.REPORTS_VIEW}
