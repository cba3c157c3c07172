from typing import Any

from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    """Registrations, guests, check-in, paddles and seating.

    No signal receivers: an account is linked to an invited guest only when it accepts the guest
    invitation (``apps.attendance.services.invitations``), never on login or sign-up by e-mail match."""

    name = "apps.attendance"
    label = "attendance"
    verbose_name = "Attendance"

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        from apps.attendance.demo import seed

        return seed(out)
