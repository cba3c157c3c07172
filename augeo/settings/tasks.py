"""Background work (docs/background-work.md, apps/core/tasks.py): the task backend, the outbox's
retries and the scheduler's periods.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# "database": tasks are rows of django-tasks-db's table, written in the business transaction and run
# by `manage.py run_worker` processes (production, CI's worker tests). "immediate": the embedded
# default, a task runs in the process that enqueued it right after commit (nothing else to start).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
AUGEO_TASKS_BACKEND = env.str("AUGEO_TASKS_BACKEND", default="immediate")
if AUGEO_TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"AUGEO_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[AUGEO_TASKS_BACKEND], "QUEUES": ["default"]}}
# The outbox (apps/core/outbox.py): attempts before a row ends `failed`, the retry backoff (doubling
# from the base, capped), how long a claimed row belongs to its worker before the sweep takes it back
# (longer than any SMTP exchange: every step has a 10 s timeout), and how old a pending row must be
# before the sweep believes its task lost.
AUGEO_OUTBOX_MAX_ATTEMPTS = env.int("AUGEO_OUTBOX_MAX_ATTEMPTS", default=8)
AUGEO_OUTBOX_RETRY_SECONDS = env.int("AUGEO_OUTBOX_RETRY_SECONDS", default=30)
AUGEO_OUTBOX_RETRY_MAX_SECONDS = env.int("AUGEO_OUTBOX_RETRY_MAX_SECONDS", default=3600)
AUGEO_OUTBOX_LEASE_SECONDS = env.int("AUGEO_OUTBOX_LEASE_SECONDS", default=300)
AUGEO_OUTBOX_REQUEUE_SECONDS = env.int("AUGEO_OUTBOX_REQUEUE_SECONDS", default=300)
# A task still RUNNING after this long lost its worker (killed, crashed): the sweep marks it FAILED.
AUGEO_TASK_LOST_SECONDS = env.int("AUGEO_TASK_LOST_SECONDS", default=900)
# What `manage.py run_scheduler` enqueues, and how often (seconds). Closing every 5 s keeps items
# closed within 15 s of `closes_at` (5 s + the worker's 1 s poll + the close itself).
AUGEO_SCHEDULE = {
    "close-due-items": {
        "task": "apps.auctions.tasks.close_due_items",
        "every": env.int("AUGEO_CLOSE_EVERY_SECONDS", default=5),
    },
    "sweep-outbox": {"task": "apps.core.tasks.sweep_outbox", "every": env.int("AUGEO_SWEEP_EVERY_SECONDS", default=30)},
    "retry-privacy-exports": {
        "task": "apps.legal.tasks.retry_privacy_exports",
        "every": env.int("AUGEO_EXPORT_RETRY_EVERY_SECONDS", default=300),
    },
    "prune-expired": {
        "task": "apps.core.tasks.prune_expired",
        "every": env.int("AUGEO_PRUNE_EVERY_SECONDS", default=3600),
    },
}
