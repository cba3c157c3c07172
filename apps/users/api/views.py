"""Accounts endpoints (api.md "Accounts"): thin — parse, call the service, serialize.

The anonymous flows (sign-up, verification, login, refresh, logout, password reset) ignore any
``Authorization`` header (``authentication_classes = []``): a stale access token left in a client
must not turn a login into a 401.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import APIView
from apps.core.api.parsers import JSONParser, MultiPartParser
from apps.core.api.schema import ERROR_ENVELOPE_SCHEMA
from apps.core.exceptions import ValidationFailed
from apps.core.net import client_ip
from apps.core.throttling import AnonIPRateThrottle, LoginIPRateThrottle
from apps.users import lockout
from apps.users.api import serializers as s
from apps.users.services.accounts import (
    email_verification_resend,
    email_verify,
    user_picture_remove,
    user_picture_set,
    user_profile_update,
    user_register,
)
from apps.users.services.sessions import (
    auth_login,
    password_change,
    password_reset_confirm,
    password_reset_request,
    session_logout,
    session_refresh,
    session_start,
    sessions_revoke_all,
)
from apps.users.tokens import SESSION_CLAIM

TAG = ["accounts"]


def error(description: str) -> OpenApiResponse:
    """A documented error answer: the envelope with the codes this endpoint uses."""
    return OpenApiResponse(response=ERROR_ENVELOPE_SCHEMA, description=description)


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicAuthView(APIView):
    """Base for the anonymous account flows."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = [AnonIPRateThrottle]


class RegisterView(PublicAuthView):
    """Sign-up: an unverified account and a verification e-mail (``token=…``); no tokens yet. The
    verification mails to one address are limited by the ``register`` scope, counted in the
    database (``user_register``)."""

    @extend_schema(
        tags=TAG,
        request=s.RegisterSerializer,
        responses={
            201: s.UserSerializer,
            400: error("VALIDATION_ERROR (an address already registered: on `email`)"),
            429: error("THROTTLED (with Retry-After): too many verification e-mails to this address"),
        },
        summary="Sign up; a verification e-mail is sent (no tokens until verified)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.RegisterSerializer, request)
        user = user_register(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""), **data)
        return Response(s.UserSerializer(user, context={"request": request}).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(PublicAuthView):
    """Spend the e-mailed token (single use, 24 h) and mark the address verified."""

    @extend_schema(
        tags=TAG,
        request=s.TokenSerializer,
        responses={200: s.DetailSerializer, 400: error("INVALID_TOKEN or VALIDATION_ERROR")},
        summary="Verify the e-mail address with the token from the e-mail",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.TokenSerializer, request)
        email_verify(token=data["token"], ip=client_ip(request))
        return Response({"detail": "Your e-mail address is verified; you can sign in."})


class VerifyEmailResendView(PublicAuthView):
    """A fresh verification e-mail for an unverified account; the same 202 for any address (and the
    same 429 once the address's ``register`` budget is spent)."""

    @extend_schema(
        tags=TAG,
        request=s.EmailSerializer,
        responses={
            202: s.DetailSerializer,
            429: error("THROTTLED (with Retry-After): too many verification e-mails to this address"),
        },
        summary="Send the verification e-mail again (202 whatever the address)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.EmailSerializer, request)
        email_verification_resend(email=data["email"])
        return Response(
            {"detail": "If the address needs verifying, an e-mail is on its way."}, status=status.HTTP_202_ACCEPTED
        )


class LoginView(PublicAuthView):
    """E-mail and password → access and refresh tokens, plus a device token (``apps.users.lockout``).

    Send the device token back as ``X-Device-Token`` on later sign-ins (browsers get it as an
    HttpOnly cookie too): that client then ignores an account lock caused by someone else's guesses.
    """

    # Only a generous per-IP ceiling (a gala room shares one IP). Guessing one account is bounded by
    # the lockout in the database, per account and per device token, not by a cache throttle keyed
    # on the e-mail alone (that one let anyone keep a named user from signing in).
    throttle_classes = [LoginIPRateThrottle]

    @extend_schema(
        tags=TAG,
        request=s.LoginSerializer,
        parameters=[
            OpenApiParameter(
                "X-Device-Token",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="The `device_token` of an earlier successful sign-in to this account.",
            )
        ],
        responses={
            200: s.LoginResponseSerializer,
            401: error("INVALID_CREDENTIALS"),
            403: error("EMAIL_NOT_VERIFIED (the password was right)"),
            429: error("ACCOUNT_LOCKED (with Retry-After) or THROTTLED"),
        },
        summary="Sign in: access (15 min) and refresh (7 days) tokens, and a device token",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.LoginSerializer, request)
        # A locked account raises AccountLocked: the handler answers 429 with its Retry-After header.
        result = auth_login(
            email=data["email"],
            password=data["password"],
            ip=client_ip(request),
            device_token=lockout.device_token_from(request._request),
        )
        # A sign-in like the admin's and the pages' (django.contrib.auth.login sends the same signal):
        # its receivers run — apps.legal makes a visitor's cookie choices the account's (legal.md).
        user_logged_in.send(sender=type(result.user), request=request._request, user=result.user)
        pair = session_start(user=result.user)
        user = s.UserSerializer(result.user, context={"request": request}).data
        response = Response({**pair, "device_token": result.device_token, "user": user})
        lockout.device_cookie_set(response, result.device_token)
        return response


class RefreshView(PublicAuthView):
    """Rotate a refresh token: a new pair for the same session, the old refresh token refused."""

    throttle_classes = [LoginIPRateThrottle]

    @extend_schema(
        tags=TAG,
        request=s.RefreshSerializer,
        responses={200: s.TokenPairSerializer, 401: error("TOKEN_INVALID")},
        summary="Rotate the refresh token (the old one is refused afterwards)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.RefreshSerializer, request)
        return Response(session_refresh(refresh=data["refresh"]))


class LogoutView(PublicAuthView):
    """Blacklist the given refresh token (this device signs out)."""

    throttle_classes = [LoginIPRateThrottle]

    @extend_schema(
        tags=TAG,
        request=s.RefreshSerializer,
        responses={204: None, 401: error("TOKEN_INVALID")},
        summary="Log out this session (its refresh token is refused afterwards)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.RefreshSerializer, request)
        session_logout(refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Sign out on every device: all refresh tokens and every access token issued before now refused."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAG,
        request=None,
        responses={204: None},
        summary="Log out everywhere: every refresh token and older access token refused",
    )
    def post(self, request: Request) -> Response:
        sessions_revoke_all(user=request.user, ip=client_ip(request))  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicAuthView):
    """E-mail a single-use reset link (1 h) when the address has an account; the same 202 otherwise
    (and the same 429 once the address's ``password_reset`` budget is spent, known or not)."""

    @extend_schema(
        tags=TAG,
        request=s.EmailSerializer,
        responses={
            202: s.DetailSerializer,
            429: error("THROTTLED (with Retry-After): too many reset e-mails to this address"),
        },
        summary="E-mail a password reset link (202 whatever the address)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.EmailSerializer, request)
        password_reset_request(email=data["email"], ip=client_ip(request))
        return Response(
            {"detail": "If the address has an account, a reset link is on its way."}, status=status.HTTP_202_ACCEPTED
        )


class PasswordResetConfirmView(PublicAuthView):
    """Set a new password with the reset token; every session is revoked."""

    @extend_schema(
        tags=TAG,
        request=s.PasswordResetConfirmSerializer,
        responses={200: s.DetailSerializer, 400: error("INVALID_TOKEN or VALIDATION_ERROR")},
        summary="Set a new password with the reset token; signs out every session",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.PasswordResetConfirmSerializer, request)
        password_reset_confirm(token=data["token"], password=data["password"], ip=client_ip(request))
        return Response({"detail": "Your password has been changed; sign in again."})


class PasswordChangeView(APIView):
    """Change the password (the current one required); other sessions are revoked, this one continues.
    A wrong current password counts with the sign-in lockout (send ``X-Device-Token`` as at sign-in)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAG,
        request=s.PasswordChangeSerializer,
        responses={
            200: s.DetailSerializer,
            400: error("VALIDATION_ERROR: wrong current password, or a weak new one"),
            429: error("ACCOUNT_LOCKED (with Retry-After): wrong passwords count with the sign-in lockout"),
        },
        summary="Change the password (needs the current one); other sessions are signed out",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.PasswordChangeSerializer, request)
        keep = request.auth.get(SESSION_CLAIM) if hasattr(request.auth, "get") else None
        user = password_change(
            user=request.user,  # type: ignore[arg-type]
            current_password=data["current_password"],
            new_password=data["new_password"],
            keep_session=keep,
            ip=client_ip(request),
            device_token=lockout.device_token_from(request._request),
        )
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # Session login (browsable API): keep this browser signed in with the new password.
            update_session_auth_hash(request._request, user)
        return Response({"detail": "Your password has been changed; other sessions were signed out."})


class MeView(APIView):
    """The signed-in user's own profile, with their active memberships."""

    permission_classes = [IsAuthenticated]
    # JSON only: a multipart PATCH passed `social_links` as a string the JSON field ignored, so an
    # invalid value was answered 200 (the picture has its own multipart endpoint).
    parser_classes = [JSONParser]

    @extend_schema(tags=TAG, responses={200: s.UserSerializer}, summary="Own profile")
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        tags=TAG,
        request=s.UserSerializer,
        responses={200: s.UserSerializer},
        summary="Update the own profile (partial)",
    )
    def patch(self, request: Request) -> Response:
        serializer = s.UserSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_profile_update(user=request.user, data=serializer.validated_data)  # type: ignore[arg-type]
        return Response(s.UserSerializer(user, context={"request": request}).data)


class MePictureView(APIView):
    """The profile picture: decoded and re-encoded by the server, stored under a generated name."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAG,
        request={"multipart/form-data": s.PictureUploadSerializer},
        responses={
            200: s.UserSerializer,
            413: error("FILE_TOO_LARGE"),
            400: error("VALIDATION_ERROR: not a JPEG, PNG, WebP or GIF image, or no `file`"),
            503: error("SERVICE_UNAVAILABLE: file storage down"),
        },
        examples=[OpenApiExample("upload", value={"file": "(binary)"}, request_only=True)],
        summary="Upload or replace the profile picture (multipart, field `file`)",
    )
    def put(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(
                message="Attach the picture in the field `file`.", fields={"file": ["No file was submitted."]}
            )
        user = user_picture_set(user=request.user, upload=upload)  # type: ignore[arg-type]
        return Response(s.UserSerializer(user, context={"request": request}).data)

    @extend_schema(
        tags=TAG,
        request=None,
        responses={204: None},
        summary="Remove the profile picture",
    )
    def delete(self, request: Request) -> Response:
        user_picture_remove(user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
