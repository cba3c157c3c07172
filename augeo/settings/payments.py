"""Payments (apps/checkout): the provider for cards on file and its keys."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# Checkout (apps/checkout): the payment provider for cards on file. `embedded` records every call in
# the database and succeeds, except for amounts ending in .13 (declined, so demos and tests can show a
# decline); `stripe` uses the stripe library with these keys. STRIPE_API_BASE points the library at
# another host (the tests' local fake Stripe). A pending card payment older than
# PAYMENT_PENDING_RESOLVE_SECONDS is resolved by asking the provider (charge_balances).
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="embedded")
if PAYMENT_PROVIDER not in ("embedded", "stripe"):
    raise ImproperlyConfigured("PAYMENT_PROVIDER must be 'embedded' or 'stripe'.")
# Production settings turn this on: every process then logs a warning at start-up while the embedded
# provider (which approves every charge) is in use (apps.checkout.apps).
PAYMENT_PROVIDER_WARN_EMBEDDED = False
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
PAYMENT_PENDING_RESOLVE_SECONDS = env.int("PAYMENT_PENDING_RESOLVE_SECONDS", default=600)
