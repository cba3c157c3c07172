"""Server-rendered pages for people: the public front, and every page an e-mail links to
(their paths are the links' paths, under ``AUGEO_FRONTEND_URL``, which defaults to this server)."""

from django.urls import path

from apps.attendance import pages as attendance_pages
from apps.events import pages as event_pages
from apps.legal import views as legal_views
from apps.npos import pages as npo_pages
from apps.users import pages as user_pages

urlpatterns = [
    path("", event_pages.home, name="home"),
    path("events/<slug:slug>/", event_pages.event_page, name="event-page"),
    path("events/<uuid:event_id>/my-registration/", attendance_pages.my_registration, name="my-registration"),
    path("sign-in/", user_pages.sign_in, name="sign-in"),
    path("sign-up/", user_pages.sign_up, name="sign-up"),
    path("sign-out/", user_pages.sign_out, name="sign-out"),
    # Where a signed-in person who has to accept new legal documents is sent (apps.legal.gate).
    path("consent/", legal_views.consent_page, name="consent-page"),
    path("verify-email/", user_pages.verify_email, name="verify-email"),
    path("reset-password/", user_pages.reset_password, name="reset-password"),
    path("invitations/accept/", npo_pages.invitation_accept, name="invitation-accept-page"),
    path("guest-invitations/accept/", attendance_pages.guest_invitation_accept, name="guest-invitation-accept-page"),
]
