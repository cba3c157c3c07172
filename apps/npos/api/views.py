"""NPO, team and invitation endpoints (api.md "NPOs and teams"). Thin: parse → service → serialize.

Visibility: an NPO (and everything under ``/npos/{id}/``) is visible to its active members and to
super admins; anyone else gets 404. Capabilities decide writes (403 for a member without it).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import APIView
from apps.core.api.parsers import JSONParser, MultiPartParser
from apps.core.api.permissions import IsVerifiedUser
from apps.core.exceptions import PermissionDenied
from apps.core.net import client_ip
from apps.npos import authz, permissions, selectors
from apps.npos.api.filters import InvitationFilter, MemberFilter, NPOFilter
from apps.npos.api.serializers import (
    BrandingSerializer,
    DecisionSerializer,
    InvitationAcceptSerializer,
    InvitationSerializer,
    MemberSerializer,
    MembershipSerializer,
    NPOSerializer,
    RejectSerializer,
)
from apps.npos.models import NPO, Invitation, Membership
from apps.npos.services.npos import (
    npo_approve,
    npo_branding_update,
    npo_create,
    npo_delete,
    npo_reinstate,
    npo_reject,
    npo_submit,
    npo_suspend,
    npo_update,
)
from apps.npos.services.team import (
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    member_remove,
    member_update,
)
from apps.npos.tenancy.api import TenantGenericViewSet, TenantModelViewSet


@extend_schema_view(
    list=extend_schema(summary="NPOs the caller belongs to (super admins: all)"),
    create=extend_schema(summary="Create an NPO (verified users); the creator becomes its admin"),
    retrieve=extend_schema(summary="An NPO (members and super admins)"),
    partial_update=extend_schema(summary="Edit an NPO (npo.manage)"),
    destroy=extend_schema(
        summary="Soft-delete an NPO (npo.manage)",
        responses={204: None, 409: OpenApiResponse(description="NPO_HAS_PUBLISHED_EVENTS")},
    ),
)
class NPOViewSet(TenantModelViewSet):
    """NPOs and their workflow. The NPO is its own tenant (``npo_path`` is its primary key)."""

    serializer_class = NPOSerializer
    npo_path = "pk"
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    capabilities = permissions.NPO
    filterset_class = NPOFilter
    search_fields = ["name", "city"]
    ordering_fields = ["name", "created_at", "status"]

    def get_queryset(self) -> QuerySet[NPO]:
        return selectors.npos_visible_to(self.request.user)

    def get_permissions(self) -> Any:
        if self.action == "create":
            return [IsVerifiedUser()]
        return super().get_permissions()

    def npo_id_of(self, obj: Any) -> Any:
        return obj.pk

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = npo_create(
            actor=self.request.user, data=serializer.validated_data, ip=client_ip(self.request)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = npo_update(
            npo=serializer.instance, actor=self.request.user, data=serializer.validated_data, ip=client_ip(self.request)
        )

    def perform_destroy(self, instance: NPO) -> None:
        npo_delete(npo=instance, actor=self.request.user, ip=client_ip(self.request))

    def _answer(self, npo: NPO) -> Response:
        return Response(NPOSerializer(npo, context=self.get_serializer_context()).data)

    @extend_schema(
        request=None,
        responses={200: NPOSerializer, 409: OpenApiResponse(description="INVALID_TRANSITION")},
        summary="Submit the application (npo.manage); 400 lists missing required fields",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        npo = self.get_object()
        return self._answer(npo_submit(npo=npo, actor=request.user, ip=client_ip(request)))

    def _super_admin_only(self) -> NPO:
        npo = self.get_object()  # 404 first for NPOs the caller cannot see
        if not authz.is_superuser(self.request.user):
            raise PermissionDenied(message="Only platform super admins may do this.")
        return npo

    def _decide(self, request: Request, service: Any) -> Response:
        npo = self._super_admin_only()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            service(npo=npo, actor=request.user, notes=body.validated_data["notes"], ip=client_ip(request))
        )

    @extend_schema(request=DecisionSerializer, responses={200: NPOSerializer}, summary="Approve (super admin)")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, npo_approve)

    @extend_schema(request=RejectSerializer, responses={200: NPOSerializer}, summary="Reject with notes (super admin)")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        npo = self._super_admin_only()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            npo_reject(npo=npo, actor=request.user, notes=body.validated_data["notes"], ip=client_ip(request))
        )

    @extend_schema(request=DecisionSerializer, responses={200: NPOSerializer}, summary="Suspend (super admin)")
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, npo_suspend)

    @extend_schema(request=DecisionSerializer, responses={200: NPOSerializer}, summary="Reinstate (super admin)")
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, npo_reinstate)

    @extend_schema(methods=["GET"], request=None, responses={200: BrandingSerializer}, summary="Branding (members)")
    @extend_schema(
        methods=["PATCH"],
        request={"multipart/form-data": BrandingSerializer, "application/json": BrandingSerializer},
        responses={200: BrandingSerializer},
        summary="Edit branding (npo.manage); logo upload in the multipart field `logo`",
    )
    @action(
        detail=True,
        methods=["get", "patch"],
        parser_classes=[JSONParser, MultiPartParser],
        serializer_class=BrandingSerializer,
    )
    def branding(self, request: Request, pk: Any = None) -> Response:
        npo = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            return Response(BrandingSerializer(npo, context=context).data)
        body = BrandingSerializer(npo, data=request.data, partial=True, context=context)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        logo = data.pop("logo", None)
        remove_logo = bool(data.pop("remove_logo", False))
        npo = npo_branding_update(
            npo=npo, actor=request.user, data=data, logo=logo, remove_logo=remove_logo, ip=client_ip(request)
        )
        return Response(BrandingSerializer(npo, context=context).data)


class NPOChildMixin:
    """Views under ``/npos/{npo_pk}/``: the parent NPO must be visible (404), resolved once."""

    kwargs: dict[str, Any]
    request: Any

    @cached_property
    def npo(self) -> NPO:
        return selectors.npo_get_visible(self.request.user, self.kwargs["npo_pk"])


@extend_schema_view(
    list=extend_schema(summary="Members of the NPO (members)"),
    partial_update=extend_schema(
        summary="Change a member's role (team.manage)",
        responses={200: MemberSerializer, 409: OpenApiResponse(description="LAST_ADMIN")},
    ),
    destroy=extend_schema(
        summary="Remove a member (team.manage)", responses={204: None, 409: OpenApiResponse(description="LAST_ADMIN")}
    ),
)
class MemberViewSet(NPOChildMixin, mixins.ListModelMixin, TenantGenericViewSet):
    """The team of one NPO. Everyone in it may read the list; ``team.manage`` changes it."""

    serializer_class = MemberSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    capabilities = permissions.MEMBERS
    filterset_class = MemberFilter
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    ordering_fields = ["user__email", "role", "created_at"]

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return selectors.members_of(self.npo)

    def partial_update(self, request: Request, npo_pk: Any = None, pk: Any = None) -> Response:
        membership = self.get_object()
        body = MemberSerializer(membership, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        role = body.validated_data.get("role", membership.role)
        membership = member_update(membership=membership, actor=request.user, role=role, ip=client_ip(request))
        return Response(MemberSerializer(membership).data)

    def destroy(self, request: Request, npo_pk: Any = None, pk: Any = None) -> Response:
        membership = self.get_object()
        member_remove(membership=membership, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Invitations of the NPO (team.manage)"),
    create=extend_schema(
        summary="Invite by e-mail with a role (team.manage)",
        responses={201: InvitationSerializer, 409: OpenApiResponse(description="ALREADY_MEMBER")},
    ),
    destroy=extend_schema(summary="Revoke an invitation (team.manage)", responses={204: None}),
)
class InvitationViewSet(NPOChildMixin, mixins.ListModelMixin, mixins.CreateModelMixin, TenantGenericViewSet):
    """Invitations to one NPO; every action needs ``team.manage`` in it."""

    serializer_class = InvitationSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    capabilities = permissions.INVITATIONS
    filterset_class = InvitationFilter
    search_fields = ["email"]
    ordering_fields = ["created_at", "email", "expires_at"]

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return selectors.invitations_of(self.npo)

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if self.action in ("list", "create"):
            self.check_capability(self.npo.pk)

    def perform_create(self, serializer: Any) -> None:
        invitation, _token = invitation_create(
            npo=self.npo,
            actor=self.request.user,
            email=serializer.validated_data["email"],
            role=serializer.validated_data["role"],
            ip=client_ip(self.request),
        )
        serializer.instance = invitation

    def destroy(self, request: Request, npo_pk: Any = None, pk: Any = None) -> Response:
        invitation_revoke(invitation=self.get_object(), actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: InvitationSerializer, 409: OpenApiResponse(description="INVALID_TRANSITION")},
        summary="Resend with a new token and a new 7-day validity (team.manage)",
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, npo_pk: Any = None, pk: Any = None) -> Response:
        invitation, _token = invitation_resend(invitation=self.get_object(), actor=request.user, ip=client_ip(request))
        return Response(InvitationSerializer(invitation).data)


class InvitationAcceptView(APIView):
    """Accept an invitation as the signed-in user (their e-mail must be the invited one)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={
            200: MembershipSerializer,
            403: OpenApiResponse(description="PERMISSION_DENIED: the invitation is for another e-mail address"),
            404: OpenApiResponse(description="NOT_FOUND: unknown token"),
            409: OpenApiResponse(description="ALREADY_MEMBER"),
            410: OpenApiResponse(description="GONE: expired, revoked or already used"),
        },
        summary="Accept an invitation",
    )
    def post(self, request: Request) -> Response:
        body = InvitationAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = invitation_accept(token=body.validated_data["token"], user=request.user, ip=client_ip(request))
        return Response(MembershipSerializer(membership).data)
