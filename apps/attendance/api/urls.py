"""Routes of the attendance API (mounted under /api/v1/)."""

from django.urls import path

from apps.attendance.api import views

urlpatterns = [
    path("registrations/", views.RegistrationListView.as_view(), name="attendance-registration-list"),
    path("registrations/<uuid:pk>/", views.RegistrationDetailView.as_view(), name="attendance-registration-detail"),
    path(
        "registrations/<uuid:pk>/guests/", views.RegistrationGuestsView.as_view(), name="attendance-registration-guests"
    ),
    path(
        "registrations/<uuid:pk>/guests/<uuid:guest_id>/",
        views.RegistrationGuestDetailView.as_view(),
        name="attendance-registration-guest-detail",
    ),
    path(
        "registrations/<uuid:pk>/guests/<uuid:guest_id>/invite/",
        views.RegistrationGuestInviteView.as_view(),
        name="attendance-registration-guest-invite",
    ),
    path(
        "guest-invitations/accept/",
        views.GuestInvitationAcceptView.as_view(),
        name="attendance-guest-invitation-accept",
    ),
    path(
        "events/<uuid:event_id>/registrations/",
        views.EventRegistrationsView.as_view(),
        name="attendance-event-registrations",
    ),
    path(
        "events/<uuid:event_id>/my-registration/", views.MyRegistrationView.as_view(), name="attendance-my-registration"
    ),
    path("events/<uuid:event_id>/guests/", views.EventGuestListView.as_view(), name="attendance-event-guests"),
    path(
        "events/<uuid:event_id>/guests/<uuid:guest_id>/",
        views.EventGuestDetailView.as_view(),
        name="attendance-event-guest-detail",
    ),
    path(
        "events/<uuid:event_id>/guests/<uuid:guest_id>/check-in/",
        views.GuestCheckInView.as_view(),
        name="attendance-guest-check-in",
    ),
    path(
        "events/<uuid:event_id>/guests/<uuid:guest_id>/undo-check-in/",
        views.GuestUndoCheckInView.as_view(),
        name="attendance-guest-undo-check-in",
    ),
    path("events/<uuid:event_id>/walk-ins/", views.WalkInView.as_view(), name="attendance-walk-ins"),
    path("events/<uuid:event_id>/tables/", views.TableListView.as_view(), name="attendance-tables"),
    path(
        "events/<uuid:event_id>/tables/auto-assign/",
        views.TableAutoAssignView.as_view(),
        name="attendance-tables-auto-assign",
    ),
    path(
        "events/<uuid:event_id>/tables/<uuid:table_id>/",
        views.TableDetailView.as_view(),
        name="attendance-table-detail",
    ),
    path("events/<uuid:event_id>/meal-counts/", views.MealCountsView.as_view(), name="attendance-meal-counts"),
]
