"""Permission-matrix rows of the accounts endpoints (format: apps/core/tests/matrix.py).

The sign-up, verification, login, refresh, logout and password-reset flows are public: every actor
gets the same answer (signing in again while signed in is allowed). The rest needs a signed-in user,
whoever it is; none of these endpoints depends on memberships.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.tests.matrix import Row, expect
from apps.users.tests.factories import DEFAULT_PASSWORD

SIGNED_IN = {"all": 200, "anon": 401}


def build(world: dict[str, Any]) -> None:
    world["donor_email"] = world["users"]["donor"].email


def _fresh_refresh(world: dict[str, Any]) -> dict[str, Any]:
    from apps.users.services.sessions import session_start

    return {"refresh": session_start(user=world["users"]["donor"])["refresh"]}


def _picture(world: dict[str, Any]) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, format="PNG")
    return {"file": SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")}


NEW_USER = {
    "email": "matrix-new@matrix.test",
    "password": "a-long-enough-passphrase",
    "first_name": "M",
    "last_name": "N",
}

ROWS = [
    Row("POST", "/api/v1/auth/register/", expect(all=201), data=NEW_USER),
    Row("POST", "/api/v1/auth/verify-email/", expect(all=400), data={"token": "not-a-real-token"}),
    Row("POST", "/api/v1/auth/verify-email/resend/", expect(all=202), data={"email": "donor@matrix.test"}),
    Row(
        "POST",
        "/api/v1/auth/login/",
        expect(all=200),
        data={"email": "donor@matrix.test", "password": DEFAULT_PASSWORD},
    ),
    Row("POST", "/api/v1/auth/refresh/", expect(all=200), data=_fresh_refresh),
    Row("POST", "/api/v1/auth/logout/", expect(all=204), data=_fresh_refresh),
    Row("POST", "/api/v1/auth/logout-all/", expect(all=204, anon=401)),
    Row("POST", "/api/v1/auth/password-reset/", expect(all=202), data={"email": "donor@matrix.test"}),
    Row(
        "POST",
        "/api/v1/auth/password-reset/confirm/",
        expect(all=400),
        data={"token": "not-a-real-token", "password": "a-long-enough-passphrase"},
    ),
    Row(
        "POST",
        "/api/v1/auth/password-change/",
        expect(**SIGNED_IN),
        data={"current_password": DEFAULT_PASSWORD, "new_password": "a-long-enough-passphrase"},
    ),
    Row("GET", "/api/v1/users/me/", expect(**SIGNED_IN)),
    Row("PATCH", "/api/v1/users/me/", expect(**SIGNED_IN), data={"first_name": "Matrix"}),
    Row("PUT", "/api/v1/users/me/picture/", expect(**SIGNED_IN), data=_picture, format="multipart"),
    Row("DELETE", "/api/v1/users/me/picture/", expect(all=204, anon=401)),
]
