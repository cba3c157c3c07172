"""Account e-mails (verification, password reset) through the platform's outbox (apps.core.outbox).

The request only queues a row; the e-mail token is minted when the mail is built, by the context
builders below, so no secret ever sits in the outbox and the request does the same work whether or
not a mail will go out: a reset or a resend for an address without a (suitable) account queues a
row that is cancelled at send time. Templates: ``templates/emails/<template>{_subject.txt,.txt,.html}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.core import outbox, throttling
from apps.core.models import OutboxEmail
from apps.users.models import AccountTokenPurpose, User
from apps.users.services.account_tokens import account_token_issue

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a template name


#: What a refusal says, per account mail (the budgets are throttle scopes: ``THROTTLE_RATE_<SCOPE>``).
MESSAGES = {
    VERIFY_EMAIL: "Too many verification e-mails for this address; try again later.",
    PASSWORD_RESET: "Too many password reset e-mails for this address; try again later.",
}


def mail_limit_check(template: str, *, to: str, scope: str) -> None:
    """429 ``THROTTLED`` when ``to`` has had the ``scope``'s rate of ``template`` mails in its
    period — counted over the outbox rows (requests for unknown addresses included, so the answer
    says nothing about the address), in the database: the limit holds while the cache is down."""
    throttling.rows_limit_check(outbox.queued_to(to, template), scope=scope, message=MESSAGES[template])


def email_queue(template: str, *, to: str, user: User | None = None) -> None:
    """Queue an account mail in the current transaction (sent after commit, never if it rolls back)."""
    outbox.email_queue(template=template, to=to, user=user, ref=f"users.user:{user.pk}" if user else "")


def _account(row: OutboxEmail, **filters: Any) -> User:
    user = User.objects.filter(email=row.to, is_active=True, **filters).first()
    if user is None:
        raise outbox.Cancel("no matching account")
    row.user = user  # the greeting uses the account as it is now
    return user


@outbox.context_builder(VERIFY_EMAIL)
def _verify_email_context(row: OutboxEmail) -> dict[str, Any]:
    user = _account(row, email_verified_at__isnull=True)
    ttl = settings.EMAIL_VERIFICATION_TTL
    token = account_token_issue(user=user, purpose=AccountTokenPurpose.EMAIL_VERIFICATION, ttl=ttl)
    return {"token": token, "ttl_hours": int(ttl.total_seconds() // 3600)}


@outbox.context_builder(PASSWORD_RESET)
def _password_reset_context(row: OutboxEmail) -> dict[str, Any]:
    user = _account(row)
    ttl = settings.PASSWORD_RESET_TTL
    token = account_token_issue(user=user, purpose=AccountTokenPurpose.PASSWORD_RESET, ttl=ttl)
    return {"token": token, "ttl_minutes": int(ttl.total_seconds() // 60)}
