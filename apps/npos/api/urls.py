"""Routes of the npos API (mounted under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.npos.api import views

router = SimpleRouter(use_regex_path=False)  # the lookup is a <uuid:> converter
router.register("npos", views.NPOViewSet, basename="npo")

member_list = views.MemberViewSet.as_view({"get": "list"})
member_detail = views.MemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"})
invitation_list = views.InvitationViewSet.as_view({"get": "list", "post": "create"})
invitation_detail = views.InvitationViewSet.as_view({"delete": "destroy"})
invitation_resend = views.InvitationViewSet.as_view({"post": "resend"})

urlpatterns = [
    *router.urls,
    path("npos/<uuid:npo_pk>/members/", member_list, name="npo-member-list"),
    path("npos/<uuid:npo_pk>/members/<uuid:pk>/", member_detail, name="npo-member-detail"),
    path("npos/<uuid:npo_pk>/invitations/", invitation_list, name="npo-invitation-list"),
    path("npos/<uuid:npo_pk>/invitations/<uuid:pk>/", invitation_detail, name="npo-invitation-detail"),
    path("npos/<uuid:npo_pk>/invitations/<uuid:pk>/resend/", invitation_resend, name="npo-invitation-resend"),
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="invitation-accept"),
]
