"""Routes of the checkout API (mounted under /api/v1/)."""

from django.urls import path

from apps.checkout.api import views

st = views.StatementViewSet
mine = views.MyStatementViewSet
S = "events/<uuid:event_id>/statements/<int:number>"

urlpatterns = [
    path("events/<uuid:event_id>/statements/", st.as_view({"get": "list"}), name="checkout-statements"),
    path(f"{S}/", st.as_view({"get": "retrieve"}), name="checkout-statement"),
    path(f"{S}/payments/", st.as_view({"post": "payments"}), name="checkout-statement-payments"),
    path(
        f"{S}/payments/<uuid:payment_id>/refund/",
        st.as_view({"post": "refund"}),
        name="checkout-statement-payment-refund",
    ),
    path(f"{S}/donations/", st.as_view({"post": "donations"}), name="checkout-statement-donations"),
    path(
        f"{S}/donations/<uuid:donation_id>/undo/",
        st.as_view({"post": "donation_undo"}),
        name="checkout-statement-donation-undo",
    ),
    path(f"{S}/receipt/", st.as_view({"get": "receipt"}), name="checkout-statement-receipt"),
    path(f"{S}/receipt/send/", st.as_view({"post": "receipt_send"}), name="checkout-statement-receipt-send"),
    path("events/<uuid:event_id>/my-statement/", mine.as_view({"get": "retrieve"}), name="checkout-my-statement"),
    path("events/<uuid:event_id>/my-statement/receipt/", mine.as_view({"get": "receipt"}), name="checkout-my-receipt"),
    path(
        "events/<uuid:event_id>/my-statement/donations/",
        mine.as_view({"post": "donations"}),
        name="checkout-my-donations",
    ),
    path(
        "events/<uuid:event_id>/reports/<str:name>/",
        views.ReportViewSet.as_view({"get": "report"}),
        name="checkout-report",
    ),
    path(
        "registrations/<uuid:pk>/card/", views.RegistrationCardViewSet.as_view({"post": "card"}), name="checkout-card"
    ),
    path(
        "payments/stripe/webhook/",
        views.StripeWebhookViewSet.as_view({"post": "webhook"}),
        name="checkout-stripe-webhook",
    ),
]
