"""E-mail: ``EMAIL_URL`` (SMTP), else the console; the sender and the links' site."""

from __future__ import annotations

from .environment import env

globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Augeo <no-reply@augeo.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
FRONTEND_URL = env("AUGEO_FRONTEND_URL", default="http://127.0.0.1:8000")
