"""The core app's admin: the e-mail outbox (super admins, read-only). The tenant-scoped admin base and
the audit log's admin (scoped to NPOs) live in ``apps.npos`` (``tenancy/admin.py``, ``audit_admin.py``):
core knows nothing of tenants."""

from apps.core import outbox_admin  # noqa: F401  (registers OutboxEmail)
