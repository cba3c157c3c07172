"""The framework's floor: a bare Django + DRF + simplejwt app, built on the fly.

Every HTTP benchmark reports its measures as a ratio to this app, measured in the same run on the
same machine, database server and venv: the project's own overhead is what the ratio shows, and
the noise of a shared machine mostly cancels out. The app is what ``startproject`` gives plus DRF:
the default middleware, ``rest_framework_simplejwt``'s stock ``JWTAuthentication`` (one query for
the user) and one ``GET /me/`` that reads the user and answers ``{"id", "email"}``. It lives in a
temporary directory (nothing of it is committed as a project), uses its own database
``<bench database>_floor`` (auth, contenttypes and sessions migrated) and is served by gunicorn
with sync workers.

    floor = Floor(database_url, workdir)
    floor.prepare()                # writes the project, creates + migrates the database, one user
    token = floor.token()          # an access token for that user
    process = floor.start(port, workers=2, log=log)
    wait_up(port, process, log, path=PATH)   # common.wait_up: until it answers
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from common import BIN, create_database, spawn

SETTINGS = '''
"""Bare Django + DRF + simplejwt (bench/floor.py): startproject's defaults, PostgreSQL, one view."""
import os
from urllib.parse import urlparse

_db = urlparse(os.environ["FLOOR_DATABASE_URL"])
SECRET_KEY = "floor-bench-only-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "floorapp.urls"
WSGI_APPLICATION = "floorapp.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "USER": _db.username or "",
        "PASSWORD": _db.password or "",
        "HOST": _db.hostname or "",
        "PORT": str(_db.port or ""),
        "CONN_MAX_AGE": 60,
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SIMPLE_JWT = {"SIGNING_KEY": SECRET_KEY}
'''

URLS = """
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class Me(APIView):
    def get(self, request):
        return Response({"id": request.user.pk, "email": request.user.email})


urlpatterns = [path("me/", Me.as_view())]
"""

WSGI = """
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "floorapp.settings")
application = get_wsgi_application()
"""

PATH = "/me/"


class Floor:
    """The bare app: where it lives, its database and how it is served."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        parsed = urlparse(database_url)
        self.database_url = urlunparse(parsed._replace(path=f"/{parsed.path.lstrip('/')}_floor"))
        self.workdir = workdir

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
        env.update(
            FLOOR_DATABASE_URL=self.database_url,
            DJANGO_SETTINGS_MODULE="floorapp.settings",
            PYTHONPATH=str(self.workdir),
            PYTHONUNBUFFERED="1",
        )
        return env

    def prepare(self) -> None:
        package = self.workdir / "floorapp"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "settings.py").write_text(textwrap.dedent(SETTINGS))
        (package / "urls.py").write_text(textwrap.dedent(URLS))
        (package / "wsgi.py").write_text(textwrap.dedent(WSGI))
        create_database(self.database_url)
        self._django("migrate", "--noinput", "-v", "0")

    def _django(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "django-admin"), *args],
            cwd=self.workdir,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def token(self) -> str:
        script = (
            "from django.contrib.auth.models import User\n"
            "from rest_framework_simplejwt.tokens import AccessToken\n"
            "from datetime import timedelta\n"
            "user, _ = User.objects.get_or_create(username='floor', defaults={'email': 'floor@bench.test'})\n"
            "token = AccessToken.for_user(user)\n"
            "token.set_exp(lifetime=timedelta(hours=2))\n"
            "print(token)\n"
        )
        return self._django("shell", "-c", script).strip().splitlines()[-1]

    def start(self, port: int, *, workers: int, log: Path, threads: int = 0) -> subprocess.Popen[bytes]:
        """gunicorn sync workers (the floor as the method defines it); ``threads``: gthread workers with
        that many threads and keep-alive, the shape the project's HTTP service runs in."""
        command = [
            str(BIN / "gunicorn"),
            "floorapp.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread" if threads else "sync",
            "--threads",
            str(threads or 1),
            "--log-level",
            "warning",
        ]
        return spawn(command, env=self.env(), log=log, cwd=self.workdir)
