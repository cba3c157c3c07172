"""Accepting and withdrawing consent to the legal documents (legal.md "Consent").

Each acceptance or withdrawal is a row of the append-only consent log, and the accepted version of
each type is also kept on the user row (``consent_terms_version``, ``consent_privacy_version``), which
is what the gate (``apps.legal.gate``) reads on every request for free. Both are written here only.

What may be accepted is read from the database, never from the gate's memo: accepting a version
that is not the current published one is a 400 naming the current one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from apps.core.exceptions import ValidationFailed
from apps.legal.gate import ACCEPTED_FIELDS, DOCUMENT_NAMES
from apps.legal.models import ConsentAction, ConsentRecord, DocumentStatus, DocumentType, LegalDocument
from apps.legal.versions import current_versions, parse_version
from apps.users.models import User

USER_AGENT_MAX = 300


def current_documents() -> dict[str, LegalDocument]:
    """``{type: published document}`` from the database."""
    return {doc.type: doc for doc in LegalDocument.objects.filter(status=DocumentStatus.PUBLISHED)}


def documents_to_accept(given: dict[str, Any], *, fields: dict[str, str], require_all: bool) -> list[LegalDocument]:
    """Check the versions a caller says they accept against the published documents.

    ``given`` maps a document type to the version sent (``None``: not sent); ``fields`` maps the type
    to the request field named in errors. Every version sent must parse and be the current published
    one of its type (400 naming it); with ``require_all`` (registration) every published type must
    be sent. Returns the documents accepted.
    """
    current = current_documents()
    errors: dict[str, list[str]] = {}
    accepted: list[LegalDocument] = []
    for document_type in DocumentType.values:
        value = given.get(document_type)
        field = fields[document_type]
        name = DOCUMENT_NAMES[document_type]
        document = current.get(document_type)
        if value is None:
            if require_all and document is not None:
                errors[field] = [f"Accept the current {name} (version {document.version})."]
            continue
        try:
            parse_version(value)
        except ValueError as exc:
            errors[field] = [str(exc)]
            continue
        if document is None:
            errors[field] = [f"There is no published {name} to accept."]
        elif value != document.version:
            errors[field] = [f"The current {name} is version {document.version}; accept that one."]
        else:
            accepted.append(document)
    if errors:
        raise ValidationFailed(message=next(iter(errors.values()))[0], fields=errors)
    return accepted


class SignUpConsent:
    """What a sign-up accepts (:class:`apps.users.hooks.SignUpTerms`, registered in
    ``LegalConfig.ready``): the current version of every published document, all of them required
    (400 otherwise), recorded with the new account."""

    def current(self) -> dict[str, Any]:
        return dict(current_versions())

    def check(self, given: dict[str, str | None], *, fields: dict[str, str]) -> list[LegalDocument]:
        return documents_to_accept(given, fields=fields, require_all=True)

    def record(self, *, user: Any, accepted: Any, ip: str | None, user_agent: str) -> None:
        consent_on_register(user=user, documents=accepted, ip=ip, user_agent=user_agent)


def _log(user: User, documents: Iterable[LegalDocument], ip: str | None, user_agent: str) -> list[str]:
    """Record the acceptance of ``documents`` (log rows, user columns); returns the columns changed."""
    changed: list[str] = []
    for document in documents:
        column = ACCEPTED_FIELDS[document.type]
        if getattr(user, column) == document.version:
            continue  # accepted already: nothing new to record
        setattr(user, column, document.version)
        changed.append(column)
        ConsentRecord.objects.create(
            user=user,
            action=ConsentAction.ACCEPT,
            document_type=document.type,
            version=document.version,
            ip_address=ip,
            user_agent=(user_agent or "")[:USER_AGENT_MAX],
        )
    return changed


@transaction.atomic
def consent_accept(
    *,
    user: User,
    terms_version: Any = None,
    privacy_version: Any = None,
    ip: str | None = None,
    user_agent: str = "",
) -> User:
    """Accept the current terms and/or privacy policy (``POST /api/v1/consent/accept/``, the admin's
    consent page). At least one version must be sent; each must be the current one."""
    if terms_version is None and privacy_version is None:
        message = "Send terms_version and/or privacy_version."
        raise ValidationFailed(message=message, fields={"non_field_errors": [message]})
    documents = documents_to_accept(
        {"terms": terms_version, "privacy": privacy_version},
        fields={"terms": "terms_version", "privacy": "privacy_version"},
        require_all=False,
    )
    locked = User.objects.select_for_update().get(pk=user.pk)
    changed = _log(locked, documents, ip, user_agent)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    for column in ACCEPTED_FIELDS.values():  # the caller's object sees the new state too
        setattr(user, column, getattr(locked, column))
    return locked


def consent_on_register(
    *, user: User, documents: Iterable[LegalDocument], ip: str | None = None, user_agent: str = ""
) -> None:
    """Record the versions accepted at sign-up (checked before the account was created with
    :func:`documents_to_accept`); call inside the sign-up's transaction."""
    changed = _log(user, documents, ip, user_agent)
    if changed:
        user.save(update_fields=[*changed, "updated_at"])


@transaction.atomic
def consent_withdraw(*, user: User, ip: str | None = None, user_agent: str = "") -> User:
    """Withdraw consent to the privacy policy: the user is gated again until they accept (or delete
    their account). Withdrawing when nothing is accepted changes nothing."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    column = ACCEPTED_FIELDS["privacy"]
    previous = getattr(locked, column)
    if previous:
        ConsentRecord.objects.create(
            user=locked,
            action=ConsentAction.WITHDRAW,
            document_type="privacy",
            version=previous,
            ip_address=ip,
            user_agent=(user_agent or "")[:USER_AGENT_MAX],
        )
        setattr(locked, column, "")
        locked.save(update_fields=[column, "updated_at"])
    setattr(user, column, getattr(locked, column))
    return locked
