from typing import Any

from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "apps.legal"
    label = "legal"
    verbose_name = "Legal, consent and privacy"

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        from apps.legal.demo import seed

        return seed(out)

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from apps.core.api.base import register_gate
        from apps.core.api.schema import EXTRA_ERROR_STATUSES
        from apps.legal import emails, exporting  # noqa: F401 - outbox context builder, export sections
        from apps.legal.gate import api_gate, consent_required, gate_schema_statuses
        from apps.legal.signals import carry_over_cookie_choices
        from apps.live.auth import socket_gate

        # The API's consent gate: a request gate of the project's base views (see apps.legal.gate);
        # the pages' is ConsentMiddleware; on the live WebSocket a gated user is anonymous.
        register_gate(api_gate)
        socket_gate(consent_required)
        if gate_schema_statuses not in EXTRA_ERROR_STATUSES:
            EXTRA_ERROR_STATUSES.append(gate_schema_statuses)
        # The admin's sign-in (django.contrib.auth.login) carries a visitor's cookie choices over;
        # the API's login view calls the same service.
        user_logged_in.connect(carry_over_cookie_choices, dispatch_uid="legal.carry_over_cookie_choices")
