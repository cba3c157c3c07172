"""The core app registers no admin of its own: core knows nothing of tenants. The tenant-scoped admin
base lives in ``apps.npos.tenancy.admin``; the audit log's admin and the super admins' outbox and task
admins in the project's back office (``augeo/backoffice/``: ``audit.py``, ``outbox.py``, ``tasks.py``)."""
