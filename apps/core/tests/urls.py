"""Test-only routes under /api/test/ (plus the real ones): views that raise every kind of error,
a throttled view and an idempotent one. Used with ``@pytest.mark.urls("apps.core.tests.urls")``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from apps.core.api.parsers import JSONParser
from apps.core.exceptions import Conflict
from apps.core.idempotency import idempotent
from apps.core.models import AuditEntry
from apps.core.services import audit_record
from augeo.urls import urlpatterns as real_urlpatterns

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"


class ThingSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class EchoView(APIView):
    """POST validates a body; GET answers 200 (for 405/406 tests)."""

    permission_classes = [AllowAny]
    serializer_class = ThingSerializer
    # Like the upload endpoints: multipart too (the project default is JSON only).
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"ok": True})

    @extend_schema(request=ThingSerializer, responses={201: ThingSerializer})
    def post(self, request):
        serializer = ThingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.data, status=201)


class RaiseView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, kind):
        if kind == "conflict":
            raise Conflict("EVENT_FULL", "The event is full.", capacity=3)
        if kind == "django-validation":
            raise DjangoValidationError({"name": ["Too short."]})
        if kind == "django-404":
            raise Http404
        if kind == "django-403":
            raise DjangoPermissionDenied
        if kind == "database":
            raise OperationalError("connection to server at 10.0.0.1 failed: password=hunter2")
        if kind == "data":
            raise DataError("A string literal cannot contain NUL (0x00) characters. password=hunter2")
        raise RuntimeError("secret internals: password=hunter2")


class PrivateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"ok": True})


class Never(permissions.BasePermission):
    def has_permission(self, request, view):
        return False


class ForbiddenView(APIView):
    permission_classes = [IsAuthenticated, Never]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):  # pragma: no cover - never reached
        return Response({})


class OncePerMinute(SimpleRateThrottle):
    rate = "1/min"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "test", "ident": self.get_ident(request)}


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [OncePerMinute]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"ok": True})


class IdempotentView(APIView):
    """Creates one audit entry per real execution; ``?fail=conflict|boom|unavailable`` fails."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        def work():
            fail = request.query_params.get("fail")
            entry = audit_record(actor=request.user, action="test.work", details={"n": request.data.get("n")})
            if fail == "conflict":
                raise Conflict("BID_TOO_LOW", "Too low.", min_bid="10.00")
            if fail == "boom":
                raise RuntimeError("boom")
            if fail == "unavailable":
                from apps.core.exceptions import ServiceUnavailable

                raise ServiceUnavailable(message="Storage is down.")
            return Response({"id": entry.pk, "n": request.data.get("n")}, status=201)

        return idempotent(request, work)


class EntryViewSet(viewsets.ReadOnlyModelViewSet):
    """A list + detail route for the schema tests."""

    queryset = AuditEntry.objects.all()

    class serializer_class(serializers.ModelSerializer):
        class Meta:
            model = AuditEntry
            fields = ["id", "action"]


def plain_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain view failure")


def plain_database(request: HttpRequest) -> HttpResponse:
    raise OperationalError("server closed the connection")


def plain_html_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<html><body>Server Error</body></html>", status=502)


def plain_post(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


router = SimpleRouter()
router.register("api/test/entries", EntryViewSet, basename="test-entries")

test_patterns = [
    path("api/test/echo/", EchoView.as_view()),
    path("api/test/raise/<str:kind>/", RaiseView.as_view()),
    path("api/test/private/", PrivateView.as_view()),
    path("api/test/forbidden/", ForbiddenView.as_view()),
    path("api/test/throttled/", ThrottledView.as_view()),
    path("api/test/idempotent/", IdempotentView.as_view()),
    path("api/test/plain-boom/", plain_boom),
    path("api/test/plain-database/", plain_database),
    path("api/test/plain-html/", plain_html_error),
    path("api/test/plain-post/", plain_post),
    *router.urls,
]
urlpatterns = [*test_patterns, path("plain-boom/", plain_boom), *real_urlpatterns]
