"""The database: ``DATABASE_URL`` (PostgreSQL), else the embedded SQLite file."""

from __future__ import annotations

from .environment import BASE_DIR, env

# The embedded default is SQLite in WAL mode with IMMEDIATE transactions: concurrent writers queue
# on the write lock (up to the timeout) instead of failing with "database is locked".
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["ENGINE"] = "apps.core.db.postgresql"  # django-prometheus's, lighter health check
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
    # Settings for this application's sessions, sent when a connection opens (no extra round trip).
    # PostgreSQL's default random_page_cost (4) prices a disk seek; a gala's database is a few hundred
    # MB in memory or on SSD, where 1.1 is the usual advice: the check-in search then reads the
    # trigram index for a common three letters instead of scanning every guest (docs/performance.md).
    # Empty it for a pooler that refuses startup options (PgBouncer without ignore_startup_parameters).
    # The compiled reads every request runs (apps.core.compiled) are kept prepared per connection
    # (apps.core.db.postgresql): false for a pooler that cannot keep them (PgBouncer < 1.21 in
    # transaction mode).
    DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
    _SESSION_OPTIONS = env.str("DATABASE_SESSION_OPTIONS", default="-c random_page_cost=1.1")
    if _SESSION_OPTIONS:
        DATABASES["default"]["OPTIONS"].setdefault("options", _SESSION_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
