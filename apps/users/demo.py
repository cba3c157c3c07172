"""Demo accounts: the platform super admin and a donor."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.users.models import User

DEMO_PASSWORD = "augeo-demo-2026"  # noqa: S105 (printed by seed_demo on purpose)


def demo_user(email: str, *, first_name: str, last_name: str, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email_verified_at": timezone.now(),
            "is_superuser": superuser,
            "is_staff": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def seed(out: Any) -> list[tuple[str, str, str]]:
    demo_user("admin@augeo.local", first_name="Ada", last_name="Admin", superuser=True)
    demo_user("donor@augeo.local", first_name="Dana", last_name="Donor")
    return [
        ("platform super admin", "admin@augeo.local", DEMO_PASSWORD),
        ("donor", "donor@augeo.local", DEMO_PASSWORD),
    ]
