"""Legal, consent, cookie, privacy and public endpoints (api.md "Legal, consent, privacy, public"):
thin — parse, call the service or selector, serialize.

Every path here is exempt from the consent gate (``apps.legal.gate``): a person who still has to
accept can read the documents, accept them, set cookies, export their data or delete their account.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import logout
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import APIView, ListAPIView
from apps.core.api.permissions import ReadOnly
from apps.core.api.schema import ERROR_ENVELOPE_SCHEMA
from apps.core.exceptions import NotFound, PermissionDenied
from apps.core.net import client_ip
from apps.core.throttling import AnonIPRateThrottle, UserRateThrottle
from apps.legal import selectors
from apps.legal.api import serializers as s
from apps.legal.cookies import visitor_cookie_set, visitor_id_from
from apps.legal.models import LegalDocument
from apps.legal.services import consent, cookies, deletion, documents, exports, public
from apps.legal.versions import parse_version
from apps.npos import authz
from apps.users.lockout import device_cookie_name, device_token_from

LEGAL = ["legal"]
PRIVACY = ["privacy"]
PUBLIC = ["public"]


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ERROR_ENVELOPE_SCHEMA, description=description)


def _valid(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _user_agent(request: Request) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))


def _check_super_admin(request: Request) -> None:
    """Writes to the legal documents are for platform super admins (403 after visibility, 404)."""
    user = request.user
    if not authz.is_superuser(user):
        raise PermissionDenied(message="Only platform super admins manage the legal documents.")


# --- documents -------------------------------------------------------------------------------------


class LegalDocumentListView(APIView):
    """The current published documents (anyone); super admins create drafts."""

    permission_classes = [IsAuthenticated | ReadOnly]

    @extend_schema(
        tags=LEGAL,
        responses={200: s.LegalDocumentSerializer(many=True)},
        summary="The current published terms of service and privacy policy (anyone)",
    )
    def get(self, request: Request) -> Response:
        return Response(s.LegalDocumentSerializer(selectors.documents_current(), many=True).data)

    @extend_schema(
        tags=LEGAL,
        request=s.LegalDocumentCreateSerializer,
        responses={201: s.LegalDocumentSerializer, 409: error("VERSION_EXISTS")},
        summary="Create a draft version (super admin)",
    )
    def post(self, request: Request) -> Response:
        _check_super_admin(request)
        data = _valid(s.LegalDocumentCreateSerializer, request.data)
        document = documents.legal_document_create(**data, actor=request.user, ip=client_ip(request))
        return Response(s.LegalDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class LegalDocumentByTypeView(APIView):
    """The published document of one type, or an older version with ``?version=``."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=LEGAL,
        operation_id="legal_documents_by_type_retrieve",
        parameters=[
            OpenApiParameter("version", str, OpenApiParameter.QUERY, required=False, description="e.g. 1.0"),
        ],
        responses={200: s.LegalDocumentSerializer, 400: error("VALIDATION_ERROR: version does not parse")},
        summary="The published terms or privacy policy (404 when none); ?version= for an older one",
    )
    def get(self, request: Request, document_type: str) -> Response:
        query = _valid(s.VersionQuerySerializer, request.query_params)
        version = parse_version(query["version"]) if "version" in query else None
        document = selectors.document_published(document_type, version)
        if document is None:
            raise NotFound(message="No such published document.")
        return Response(s.LegalDocumentSerializer(document).data)


class LegalDocumentDetailView(APIView):
    """One version by id (drafts for super admins only); super admins edit and delete drafts."""

    permission_classes = [IsAuthenticated | ReadOnly]

    def _document(self, request: Request, pk: Any, *, write: bool = False) -> LegalDocument:
        document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
        if write:
            _check_super_admin(request)
        return document

    @extend_schema(tags=LEGAL, responses={200: s.LegalDocumentSerializer}, summary="One document version")
    def get(self, request: Request, pk: Any) -> Response:
        return Response(s.LegalDocumentSerializer(self._document(request, pk)).data)

    @extend_schema(
        tags=LEGAL,
        request=s.LegalDocumentUpdateSerializer,
        responses={200: s.LegalDocumentSerializer, 409: error("DOCUMENT_PUBLISHED or VERSION_EXISTS")},
        summary="Edit a draft (super admin); a published or archived version is 409 DOCUMENT_PUBLISHED",
    )
    def patch(self, request: Request, pk: Any) -> Response:
        document = self._document(request, pk, write=True)
        data = _valid(s.LegalDocumentUpdateSerializer, request.data)
        document = documents.legal_document_update(
            document=document, actor=request.user, data=data, ip=client_ip(request)
        )
        return Response(s.LegalDocumentSerializer(document).data)

    @extend_schema(
        tags=LEGAL,
        responses={204: None, 409: error("DOCUMENT_PUBLISHED")},
        summary="Delete a draft (super admin)",
    )
    def delete(self, request: Request, pk: Any) -> Response:
        document = self._document(request, pk, write=True)
        documents.legal_document_delete(document=document, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LegalDocumentPublishView(APIView):
    """Publish a draft: the previous published version of its type is archived."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=LEGAL,
        request=None,
        responses={200: s.LegalDocumentSerializer, 409: error("DOCUMENT_PUBLISHED or INVALID_TRANSITION")},
        summary="Publish a draft (super admin); archives the previous version of its type",
    )
    def post(self, request: Request, pk: Any) -> Response:
        document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
        _check_super_admin(request)
        document = documents.legal_document_publish(document=document, actor=request.user, ip=client_ip(request))
        return Response(s.LegalDocumentSerializer(document).data)


# --- consent ---------------------------------------------------------------------------------------


class ConsentStatusView(APIView):
    """What the caller accepted, what is published, and whether the API gates them."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=LEGAL, responses={200: s.ConsentStatusSerializer}, summary="Own consent status")
    def get(self, request: Request) -> Response:
        return Response(selectors.consent_status(request.user))


class ConsentAcceptView(APIView):
    """Accept the current terms and/or privacy policy (each version sent must be the current one)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=LEGAL,
        request=s.ConsentAcceptSerializer,
        responses={200: s.ConsentStatusSerializer, 400: error("VALIDATION_ERROR: not the current version")},
        summary="Accept the current terms and privacy policy",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.ConsentAcceptSerializer, request.data)
        user = consent.consent_accept(
            user=request.user,  # type: ignore[arg-type]
            terms_version=data.get("terms_version"),
            privacy_version=data.get("privacy_version"),
            ip=client_ip(request),
            user_agent=_user_agent(request),
        )
        return Response(selectors.consent_status(user))


class ConsentWithdrawView(APIView):
    """Withdraw consent to the privacy policy: the API gates the caller again until they accept."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=LEGAL,
        request=None,
        responses={200: s.ConsentStatusSerializer},
        summary="Withdraw consent to the privacy policy",
    )
    def post(self, request: Request) -> Response:
        user = consent.consent_withdraw(user=request.user, ip=client_ip(request), user_agent=_user_agent(request))  # type: ignore[arg-type]
        return Response(selectors.consent_status(user))


class CookieConsentView(APIView):
    """Cookie choices of the caller: a user's are stored on the account, a visitor's under the random
    id of the ``augeo_visitor`` cookie (set by the first ``PUT``)."""

    permission_classes = [AllowAny]

    @extend_schema(tags=LEGAL, responses={200: s.CookieConsentStateSerializer}, summary="Own cookie choices")
    def get(self, request: Request) -> Response:
        state = selectors.cookie_state(user=request.user, visitor_id=visitor_id_from(request))
        return Response(state)

    @extend_schema(
        tags=LEGAL,
        request=s.CookieConsentSerializer,
        responses={200: s.CookieConsentStateSerializer},
        summary="Set the cookie choices (essential is always true)",
    )
    def put(self, request: Request) -> Response:
        data = _valid(s.CookieConsentSerializer, request.data)
        user = request.user if request.user.is_authenticated else None
        visitor_id = None
        if user is None:
            visitor_id = visitor_id_from(request) or uuid.uuid4()
        cookies.cookie_consent_set(
            user=user,  # type: ignore[arg-type]
            visitor_id=visitor_id,
            analytics=data["analytics"],
            marketing=data["marketing"],
            ip=client_ip(request),
            user_agent=_user_agent(request),
        )
        response = Response(selectors.cookie_state(user=user, visitor_id=visitor_id))
        if visitor_id is not None:
            visitor_cookie_set(response, visitor_id)
        return response


# --- privacy ---------------------------------------------------------------------------------------


class PrivacyExportView(APIView):
    """Ask for an export of everything about the caller: 202; the link is e-mailed when ready."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=PRIVACY,
        request=None,
        responses={202: s.PrivacyExportSerializer, 429: error("THROTTLED: one export per hour (Retry-After)")},
        summary="Export my data (JSON, link e-mailed, valid 24 h); one per hour",
    )
    def post(self, request: Request) -> Response:
        export = exports.privacy_export_request(user=request.user, ip=client_ip(request))  # type: ignore[arg-type]
        return Response(s.PrivacyExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class PrivacyExportListView(ListAPIView):
    """The caller's exports, newest first, with status and (while valid) the download link."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.PrivacyExportSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.exports_of(self.request.user)

    @extend_schema(tags=PRIVACY, summary="My data exports")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DeleteAccountView(APIView):
    """Delete the caller's account (password required): the person is anonymised, the records NPOs
    must keep stay; every session ends."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=PRIVACY,
        request=s.DeleteAccountSerializer,
        responses={
            200: s.DetailSerializer,
            400: error("VALIDATION_ERROR: wrong password"),
            409: error("LAST_ADMIN or BALANCE_DUE"),
            429: error("ACCOUNT_LOCKED (with Retry-After): wrong passwords count with the sign-in lockout"),
        },
        summary="Delete my account (anonymised; bids, payments and registrations stay)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.DeleteAccountSerializer, request.data)
        deletion.account_delete_self(
            user=request.user,  # type: ignore[arg-type]
            password=data["password"],
            ip=client_ip(request),
            device_token=device_token_from(request._request),
        )
        if isinstance(request.successful_authenticator, SessionAuthentication):
            logout(request._request)
        response = Response({"detail": "Your account has been deleted."})
        response.delete_cookie(device_cookie_name())
        return response


# --- public ----------------------------------------------------------------------------------------


class ContactView(APIView):
    """The public contact form: stored and e-mailed to the platform; rate limited per IP (the
    ``contact`` scope, counted in the database by ``contact_message_submit``)."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonIPRateThrottle, UserRateThrottle]

    @extend_schema(
        tags=PUBLIC,
        request=s.ContactSerializer,
        responses={
            201: s.DetailSerializer,
            429: error("THROTTLED (with Retry-After): too many messages from this address"),
        },
        summary="Send a message to the platform (honeypot `website` must stay empty)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.ContactSerializer, request.data)
        public.contact_message_submit(**data, ip=client_ip(request), user_agent=_user_agent(request))
        return Response({"detail": "Thank you; we will get back to you."}, status=status.HTTP_201_CREATED)


class TestimonialListView(ListAPIView):
    """Published testimonials, in their order (anyone)."""

    permission_classes = [AllowAny]
    serializer_class = s.TestimonialSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.testimonials_published()

    @extend_schema(tags=PUBLIC, summary="Published testimonials, in order")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
