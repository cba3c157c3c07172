from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class LegalConfig(AppConfig):
    name = "apps.legal"
    label = "legal"
    verbose_name = "Legal, consent and privacy"

    def seed_demo(self, out: Any) -> Any:
        """Demo data for ``manage.py seed_demo`` (``demo.seed``; safe to run again)."""
        # Imported when called (the demo imports the models; see ready).
        from apps.legal.demo import seed

        return seed(out)

    def ready(self) -> None:
        # Imported here, not at the top: an AppConfig module is imported before the models are ready.
        from apps.checkout import privacy as checkout_privacy
        from apps.core.api.base import register_gate
        from apps.core.api.schema import EXTRA_ERROR_STATUSES
        from apps.legal import emails, exporting  # noqa: F401 - outbox context builder, export sections
        from apps.legal.gate import api_gate, gate_schema_statuses
        from apps.legal.hooks import account_eraser, deletion_blocker, export_section, remote_eraser
        from apps.legal.services.consent import SignUpConsent
        from apps.legal.signals import carry_over_cookie_choices
        from apps.npos.deletion import last_admin_blocker
        from apps.users.hooks import signup_terms_provide

        # The API's consent gate: a request gate of the project's base views (see apps.legal.gate);
        # the pages' is ConsentMiddleware; on the live WebSocket a gated user is anonymous (apps.live.auth).
        register_gate(api_gate)
        if gate_schema_statuses not in EXTRA_ERROR_STATUSES:
            EXTRA_ERROR_STATUSES.append(gate_schema_statuses)
        # A sign-in (the API's login sends Django's signal too) carries a visitor's cookie choices over.
        user_logged_in.connect(carry_over_cookie_choices, dispatch_uid="legal.carry_over_cookie_choices")
        # A sign-up accepts the current terms and privacy policy (400 otherwise), recorded with it.
        signup_terms_provide(SignUpConsent())
        # Account deletion and the privacy export (apps.legal.hooks) take the apps below into account:
        # npos refuses the last admin of an NPO (409 LAST_ADMIN); checkout refuses a balance due
        # (409 BALANCE_DUE), deletes the provider's customers, forgets card tokens and exports the
        # statements and payments sections.
        deletion_blocker(last_admin_blocker)
        deletion_blocker(checkout_privacy.balance_due_blocker)
        remote_eraser(checkout_privacy.provider_customers_delete)
        account_eraser(checkout_privacy.saved_cards_erase)
        export_section("statements")(checkout_privacy.statements_for_export)
        export_section("payments")(checkout_privacy.payments_for_export)
