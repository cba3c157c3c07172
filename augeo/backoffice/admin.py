"""The project-wide admins, registered on the branded site by the admin's autodiscovery: the audit
log (NPO members see their NPOs' entries), and for super admins the e-mail outbox, the task results
and the schedule. Each app's own models are registered by that app's ``admin.py``."""

from augeo.backoffice import (
    audit,  # noqa: F401 - registers core.AuditEntry, scoped to NPOs
    outbox,  # noqa: F401 - registers core.OutboxEmail, super admins only
    tasks,  # noqa: F401 - registers the task results and the schedule, super admins only
)
