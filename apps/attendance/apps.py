from typing import Any

from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    """Registrations, guests, check-in, paddles and seating.

    No signal receivers: an account is linked to an invited guest only when it accepts the guest
    invitation (``apps.attendance.services.invitations``), never on login or sign-up by e-mail match."""

    name = "apps.attendance"
    label = "attendance"
    verbose_name = "Attendance"

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.attendance.models import Guest, Registration, RegistrationStatus
        from apps.events import hooks

        # Any registration (cancelled ones too) is activity; confirmed guests count against capacity.
        hooks.on_activity_check(self.label, lambda event: Registration.objects.filter(event=event).exists())
        hooks.on_registered_guests(
            self.label,
            lambda event: Guest.objects.filter(event=event, registration__status=RegistrationStatus.CONFIRMED).count(),
        )

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        # Imported when called (the demo imports the models; see ready).
        from apps.attendance.demo import seed

        return seed(out)
