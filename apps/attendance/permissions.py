"""What each attendance endpoint needs (permissions.md), declared once. The API views point at these
maps (``capabilities = permissions.GUEST``) and the admin (its pages, actions and the check-in desk)
reads the same entries, so checking a guest in needs the same capability in both.

The views are plain API views: keys are the HTTP method (``"get"``), or a named sub-case the view
checks explicitly (``"patch:table"``). A tuple is "any one of them"; a method not listed needs only
visibility of the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from apps.npos.capabilities import Capability as C
from apps.npos.capabilities import Requirement

#: ``/events/{id}/registrations/``: the list (registering is for any verified user).
EVENT_REGISTRATIONS: Final[Mapping[str, Requirement]] = {"get": C.ATTENDANCE_VIEW}

#: ``/registrations/{id}/…``: changing someone else's registration (its owner needs nothing).
REGISTRATION: Final[Mapping[str, Requirement]] = {"change": C.ATTENDANCE_MANAGE}

#: ``/events/{id}/guests/``: the guest list and the check-in desk's search.
GUESTS: Final[Mapping[str, Requirement]] = {"get": (C.ATTENDANCE_VIEW, C.CHECKIN_PERFORM)}

#: ``/events/{id}/guests/{id}/``: what a ``PATCH`` body changes decides what it needs.
GUEST: Final[Mapping[str, Requirement]] = {
    "get": (C.ATTENDANCE_VIEW, C.CHECKIN_PERFORM),
    "patch": (C.ATTENDANCE_VIEW, C.CHECKIN_PERFORM, C.ATTENDANCE_MANAGE),
    "patch:bidder_number": (C.CHECKIN_PERFORM, C.ATTENDANCE_MANAGE),
    "patch:table": C.ATTENDANCE_MANAGE,
    "patch:other": (C.CHECKIN_PERFORM, C.ATTENDANCE_MANAGE),
}

#: Checking in, undoing a check-in, registering a walk-in (the desk's work).
CHECK_IN: Final[Mapping[str, Requirement]] = {"post": C.CHECKIN_PERFORM}

#: ``/events/{id}/tables/`` and ``/events/{id}/tables/{id}/``.
TABLES: Final[Mapping[str, Requirement]] = {
    "get": C.ATTENDANCE_VIEW,
    "post": C.ATTENDANCE_MANAGE,
    "patch": C.ATTENDANCE_MANAGE,
    "delete": C.ATTENDANCE_MANAGE,
}

#: ``/events/{id}/tables/auto-assign/``.
TABLES_AUTO_ASSIGN: Final[Mapping[str, Requirement]] = {"post": C.ATTENDANCE_MANAGE}

#: ``/events/{id}/meal-counts/``.
MEAL_COUNTS: Final[Mapping[str, Requirement]] = {"get": C.ATTENDANCE_VIEW}
