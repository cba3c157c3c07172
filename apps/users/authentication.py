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

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from apps.users.tokens import ISSUED_CLAIM


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's authentication plus the per-user revocation cut-off."""

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        cut_off = getattr(user, "tokens_valid_after", None)
        if cut_off is not None:
            precise = validated_token.get(ISSUED_CLAIM)
            issued_at = precise if isinstance(precise, int | float) else validated_token.get("iat")
            limit = cut_off.timestamp() if isinstance(precise, int | float) else int(cut_off.timestamp())
            if not isinstance(issued_at, int | float) or issued_at < limit:
                raise AuthenticationFailed(str(_("The token has been revoked.")), code="token_revoked")
        return user


class AugeoJWTScheme(SimpleJWTScheme):
    """Documents our JWT authenticator (a simplejwt subclass) as the same bearer scheme (a
    drf-spectacular extension: defining the class registers it)."""

    target_class = "apps.users.authentication.JWTAuthentication"
    name = "jwtAuth"
