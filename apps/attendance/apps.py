from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "apps.attendance"
    label = "attendance"
    verbose_name = "Attendance"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from apps.attendance import signals

        user_logged_in.connect(signals.on_user_logged_in, dispatch_uid="attendance_link_guests_on_login")
        post_save.connect(
            signals.on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="attendance_link_guests_on_save"
        )
