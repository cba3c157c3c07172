"""JWT authentication for the API.

On top of simplejwt (signature with the configured algorithm only — ``alg: none`` and foreign
algorithms are refused —, expiry, ``token_type == "access"`` so a refresh token is no access token,
and the user must exist and be active), an access token issued before the user's
``tokens_valid_after`` cut-off ("log out everywhere", a password reset, a deactivation) is refused.
The comparison uses the sub-second ``iat_precise`` claim our tokens carry (``iat`` only has whole
seconds, which would either spare a token minted just before the cut-off or refuse the fresh login
right after it); tokens without it fall back to ``iat``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow

from apps.core.prepared import PreparedRead, fetch_prepared
from apps.users.tokens import ISSUED_CLAIM


def user_by_pk(pk: Any) -> Any:
    """The user row by primary key through one precompiled SQL statement
    (:class:`apps.core.prepared.PreparedRead` converts every column as the ORM does): every
    authenticated API request reads it, and building the same ``SELECT … WHERE id = %s`` through
    the ORM's query compiler cost more than the round trip. None when there is no such user (or
    the id is no UUID)."""
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        return None
    return user_read().by_pk(pk)


_USER_READ: PreparedRead | None = None
_USER_WITH_MEMBERSHIPS_SQL: str | None = None


def user_read() -> PreparedRead:
    """Every column of the user (the request's user is the whole model, as ``get_user`` gave it)."""
    from apps.users.models import User

    global _USER_READ
    if _USER_READ is None:
        _USER_READ = PreparedRead(User, [field.attname for field in User._meta.concrete_fields])
    return _USER_READ


def user_with_memberships_by_pk(pk: Any) -> Any:
    """:func:`user_by_pk` and the user's ``membership_summaries`` in the same statement (a view that
    shows them — ``users/me``, which every app reads at start — asks for them with
    ``user_with_memberships = True``): one row per active membership in a live NPO, or one row of
    the user alone. The summaries are kept on the instance, where ``membership_summaries`` finds
    them; a test compares both reads."""
    from apps.npos.models import NPO, Membership, MembershipStatus
    from apps.users.models import User
    from apps.users.selectors import membership_summary

    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        return None
    read = user_read()
    global _USER_WITH_MEMBERSHIPS_SQL
    if _USER_WITH_MEMBERSHIPS_SQL is None:
        quote = connection.ops.quote_name
        membership, npo = quote(Membership._meta.db_table), quote(NPO._meta.db_table)
        # Identifiers from the models' _meta, quoted; the values are parameters.
        _USER_WITH_MEMBERSHIPS_SQL = (
            f"SELECT {read.select_list('t')}, mm.{quote('npo_id')}, mm.{quote('role')} "  # noqa: S608
            f"FROM {quote(User._meta.db_table)} t LEFT JOIN ("
            f"SELECT m.{quote('user_id')}, m.{quote('npo_id')}, m.{quote('role')}, n.{quote('name')} "
            f"FROM {membership} m JOIN {npo} n ON n.{quote('id')} = m.{quote('npo_id')} "
            f"WHERE m.{quote('status')} = %s AND n.{quote('deleted_at')} IS NULL"
            f") mm ON mm.{quote('user_id')} = t.{quote('id')} "
            f"WHERE t.{quote('id')} = %s ORDER BY mm.{quote('name')}, mm.{quote('npo_id')}"
        )
    rows = fetch_prepared(
        _USER_WITH_MEMBERSHIPS_SQL,
        [MembershipStatus.ACTIVE.value, User._meta.pk.get_db_prep_value(pk, connection)],  # type: ignore[union-attr]
    )
    if not rows:
        return None
    width = read.width
    user = read.build(rows[0][:width])
    summaries = [membership_summary(row[width], row[width + 1]) for row in rows if row[width] is not None]
    user._membership_summaries = summaries
    return user


#: Access tokens whose signature and fixed claims were verified, by their SHA-256 (the token itself
#: is not kept): ``(token class, payload)``. Per process, at most ``_VERIFIED_MAX`` (then emptied).
_VERIFIED: dict[bytes, tuple[type[Token], dict[str, Any]]] = {}
_VERIFIED_MAX = 4096


@receiver(setting_changed)
def _forget_verified_tokens(*, setting: str, **kwargs: Any) -> None:
    """A new signing key or algorithm (a test's override; a deploy restarts the process) voids
    every check made with the old one."""
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        _VERIFIED.clear()


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's authentication plus the per-user revocation cut-off; the user is read with
    :func:`user_by_pk` (simplejwt's ``get_user`` otherwise, same checks in the same order).

    A token's signature is verified once per process (:meth:`get_validated_token`)."""

    #: Read the user's memberships with the user (the view's ``user_with_memberships``).
    with_memberships = False

    def get_validated_token(self, raw_token: bytes) -> Token:
        """simplejwt's validation, its signature check done once per token and process.

        Decoding and verifying the signature cost 0.2 ms a request (4 % of ``users/me``), and a phone
        sends the same access token for its 15 minutes. What that check proves — these exact bytes
        were signed with our key, with these claims — cannot change, so a verified token's payload
        is remembered by the token's hash; each later use still runs the checks that depend on the
        time or the settings (``Token.verify``: expiry, token type, id claim), and the revocation
        cut-off and the user's state are read per request as before (:meth:`get_user`). A token with
        a not-before claim is never remembered (ours have none)."""
        key = hashlib.sha256(raw_token).digest()
        verified = _VERIFIED.get(key)
        if verified is not None:
            token_class, payload = verified
            token = token_class.__new__(token_class)
            token.token = raw_token  # type: ignore[assignment]
            token.current_time = aware_utcnow()
            token.payload = dict(payload)
            try:
                token.verify()
            except TokenError:
                _VERIFIED.pop(key, None)  # expired: simplejwt's path says why (pop: gthread threads share it)
            else:
                return token
        token = super().get_validated_token(raw_token)
        if "nbf" not in token.payload:
            if len(_VERIFIED) >= _VERIFIED_MAX:
                _VERIFIED.clear()
            _VERIFIED[key] = (type(token), dict(token.payload))
        return token

    def authenticate(self, request: Any) -> Any:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        self.with_memberships = bool(getattr(view, "user_with_memberships", False))
        return super().authenticate(request)

    def get_user(self, validated_token: Token) -> Any:
        user = self._user(validated_token)
        cut_off = getattr(user, "tokens_valid_after", None)
        if cut_off is not None:
            precise = validated_token.get(ISSUED_CLAIM)
            issued_at = precise if isinstance(precise, int | float) else validated_token.get("iat")
            limit = cut_off.timestamp() if isinstance(precise, int | float) else int(cut_off.timestamp())
            if not isinstance(issued_at, int | float) or issued_at < limit:
                raise AuthenticationFailed(str(_("The token has been revoked.")), code="token_revoked")
        return user

    def _user(self, validated_token: Token) -> Any:
        if api_settings.USER_ID_FIELD != "id" or api_settings.CHECK_REVOKE_TOKEN:  # pragma: no cover
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(str(_("Token contained no recognizable user identification"))) from exc
        user = user_with_memberships_by_pk(user_id) if self.with_memberships else user_by_pk(user_id)
        if user is None:
            raise AuthenticationFailed(str(_("User not found")), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(str(_("User is inactive")), code="user_inactive")
        return user


class AugeoJWTScheme(SimpleJWTScheme):
    """Documents our JWT authenticator (a simplejwt subclass) as the same bearer scheme (a
    drf-spectacular extension: defining the class registers it)."""

    target_class = "apps.users.authentication.JWTAuthentication"
    name = "jwtAuth"
