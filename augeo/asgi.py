"""ASGI entry point: HTTP to Django, ``/ws/events/{id}/`` to the live-update consumer (apps/live)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "augeo.settings.production")
django_application = get_asgi_application()  # sets Django up before the consumers are imported

from apps.live.routing import application_build  # noqa: E402

application = application_build(django_application)
