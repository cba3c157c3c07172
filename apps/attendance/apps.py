from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    """Registrations, guests, check-in, paddles and seating.

    No signal receivers: an account is linked to an invited guest only when it accepts the guest
    invitation (``apps.attendance.invitations``), never on login or sign-up by e-mail match."""

    name = "apps.attendance"
    label = "attendance"
    verbose_name = "Attendance"
