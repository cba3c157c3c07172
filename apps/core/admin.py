"""The core app registers no admin of its own: core knows nothing of tenants. The tenant-scoped admin
base, the audit log's admin and the super admins' outbox and task admins live in ``apps.npos``
(``tenancy/admin.py``, ``audit_admin.py``, ``outbox_admin.py``, ``tasks_admin.py``)."""
