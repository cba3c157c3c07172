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
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow

from apps.users.selectors import user_by_pk
from apps.users.tokens import ISSUED_CLAIM

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
    :func:`apps.users.selectors.user_by_pk` (simplejwt's ``get_user`` otherwise, same checks in the
    same order).

    A token's signature is verified once per process (:meth:`get_validated_token`)."""

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
        user = user_by_pk(user_id)
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
