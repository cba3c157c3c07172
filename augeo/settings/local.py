"""The embedded default: SQLite, local-memory cache, files on disk, e-mail to the console."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# daphne's `runserver` serves HTTP and the live-update WebSocket (augeo.asgi) on the same port, with
# Django's autoreload and static files; production runs gunicorn (gunicorn.conf.py).
INSTALLED_APPS = ["daphne", *INSTALLED_APPS]
