"""The one "is this a platform super admin?" test, shared by the API, the admin and the services.

It lives in ``core`` (which imports no domain app) so the core admin pages can use it too;
:mod:`apps.npos.authz` exposes it as ``authz.is_superuser`` for everything else.
"""

from __future__ import annotations

from typing import Any


def is_superuser(user: Any) -> bool:
    """Signed in, active and a superuser: an inactive or anonymous account is never one."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_superuser", False)
    )
