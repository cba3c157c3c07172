"""Files: Azure Blob Storage when ``AZURE_STORAGE_CONNECTION_STRING`` is set, else the local disk;
static files; upload size limits.
"""

from __future__ import annotations

from .environment import BASE_DIR, env

MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

AZURE_CONNECTION_STRING = env("AZURE_STORAGE_CONNECTION_STRING", default="")
AZURE_CONTAINER = env("AZURE_STORAGE_CONTAINER", default="augeo-media")
if AZURE_CONNECTION_STRING:
    STORAGES = {
        "default": {
            # apps.core.storage.AzureStorage: django-storages' backend, but client_options also
            # apply with a connection string (the stock one ignores them).
            "BACKEND": "apps.core.storage.AzureStorage",
            "OPTIONS": {
                "connection_string": AZURE_CONNECTION_STRING,
                "azure_container": AZURE_CONTAINER,
                # Private container: reads go through short-lived SAS URLs.
                "expiration_secs": 900,
                "overwrite_files": False,
                # The SDK's defaults retry for over a minute; an outage must answer 503 quickly.
                "timeout": 10,
                "client_options": {
                    "retry_total": 1,
                    "initial_backoff": 1,
                    "increment_base": 1,
                    "random_jitter_range": 0,
                    "connection_timeout": 3,
                    "read_timeout": 10,
                },
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
