"""Routes of the legal, consent, cookie, privacy and public endpoints (mounted under /api/v1/)."""

from django.urls import path, re_path

from apps.legal.api import views

urlpatterns = [
    path("legal/documents/", views.LegalDocumentListView.as_view(), name="legal-documents"),
    re_path(
        r"^legal/documents/(?P<document_type>terms|privacy)/$",
        views.LegalDocumentByTypeView.as_view(),
        name="legal-document-by-type",
    ),
    path("legal/documents/<uuid:pk>/", views.LegalDocumentDetailView.as_view(), name="legal-document-detail"),
    path("legal/documents/<uuid:pk>/publish/", views.LegalDocumentPublishView.as_view(), name="legal-document-publish"),
    path("consent/status/", views.ConsentStatusView.as_view(), name="consent-status"),
    path("consent/accept/", views.ConsentAcceptView.as_view(), name="consent-accept"),
    path("consent/withdraw/", views.ConsentWithdrawView.as_view(), name="consent-withdraw"),
    path("cookies/consent/", views.CookieConsentView.as_view(), name="cookies-consent"),
    path("privacy/export/", views.PrivacyExportView.as_view(), name="privacy-export"),
    path("privacy/exports/", views.PrivacyExportListView.as_view(), name="privacy-exports"),
    path("privacy/delete-account/", views.DeleteAccountView.as_view(), name="privacy-delete-account"),
    path("public/contact/", views.ContactView.as_view(), name="public-contact"),
    path("public/testimonials/", views.TestimonialListView.as_view(), name="public-testimonials"),
]
