"""Account deletion: the person is anonymised, the NPOs' records stay, every session ends, the
address can register again; LAST_ADMIN (and any app's blocker) refuses before anything changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.attendance.models import Guest, Registration
from apps.auctions.models import Bid, Pledge, Purchase, Sale
from apps.core.exceptions import Conflict
from apps.core.models import AuditEntry, OutboxEmail
from apps.legal.hooks import _blockers, deletion_blocker
from apps.legal.models import ConsentRecord, CookiePreference, PrivacyExport
from apps.legal.services import exports
from apps.legal.services.deletion import DELETED_NAME, account_delete
from apps.legal.tests.factories import accept, publish_both
from apps.legal.tests.scenario import build_history
from apps.npos.capabilities import Role
from apps.npos.models import Membership, MembershipStatus
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.models import AccountToken, LoginLock, User
from apps.users.tests.conftest import bearer, login
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy/delete-account/"


def _counts(user):
    return {
        "bids": Bid.objects.filter(user=user).count(),
        "purchases": Purchase.objects.filter(user=user).count(),
        "pledges": Pledge.objects.count(),
        "sales": Sale.objects.count(),
        "registrations": Registration.objects.filter(user=user).count(),
        "audit": AuditEntry.objects.filter(actor=user).count(),
        "consents": ConsentRecord.objects.filter(user=user).count(),
    }


def _settle(history, donor):
    from apps.attendance.models import Paddle
    from apps.checkout import selectors
    from apps.checkout.services import payments

    paddle = Paddle.objects.get(event=history.event, number=history.donor_number)
    due = selectors.statement_for_paddle(paddle).balance_due
    payments.payment_take(paddle=paddle, amount=due, method="cash", actor=history.clerk)


def test_a_balance_due_refuses_the_deletion(donor, other):
    build_history(donor, other)
    with pytest.raises(Conflict) as exc:
        account_delete(user=donor, actor=donor)
    assert exc.value.code == "BALANCE_DUE"
    donor.refresh_from_db()
    assert donor.is_active and donor.email != "" and not donor.email.endswith("@deleted.invalid")


def test_deletion_anonymises_the_person_and_keeps_the_records(donor, other, api_client):
    history = build_history(donor, other)
    _settle(history, donor)  # a balance due would refuse the deletion (409 BALANCE_DUE, checkout)
    donor.phone, donor.city, donor.organization = "+14155550123", "Springfield", "ACME"
    donor.save()
    exports.privacy_export_build(exports.privacy_export_request(user=donor).pk)
    tokens = login(api_client, donor.email).json()
    before = _counts(donor)
    email = donor.email

    response = bearer(tokens["access"]).post(URL, {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200, response.content

    user = User.objects.get(pk=donor.pk)
    assert user.get_full_name() == DELETED_NAME
    assert user.email.startswith("deleted-") and user.email.endswith("@deleted.invalid")
    assert not user.has_usable_password() and not user.is_active
    assert (user.phone, user.city, user.organization, user.social_links) == ("", "", "", {})
    after = _counts(user)
    assert after == {**before, "audit": before["audit"] + 1}  # everything stays; the deletion is audited
    # Guest rows that named them (their own and the ones with their address) are anonymised.
    assert not Guest.objects.filter(email__iexact=email).exists()
    assert Guest.objects.get(user=user, is_registrant=True).first_name == DELETED_NAME
    assert Registration.objects.get(user=user).notes == ""
    assert not Guest.objects.filter(first_name="Dana").exists()
    # Cookie choices and exports go; the consent log keeps what was agreed, without the network details.
    assert not CookiePreference.objects.filter(user=user).exists()
    assert not PrivacyExport.objects.filter(user=user).exists()
    assert set(ConsentRecord.objects.filter(user=user).values_list("ip_address", "user_agent")) == {(None, "")}
    assert not OutboxEmail.objects.filter(to__iexact=email).exists()
    # The other person is untouched.
    other.refresh_from_db()
    assert other.email == "oscar@example.org" and CookiePreference.objects.filter(user=other).exists()
    entry = AuditEntry.objects.get(action="privacy.account_deleted")
    assert entry.actor_id == user.pk and entry.details["by"] == "self"


def test_every_session_ends(donor, api_client):
    tokens = login(api_client, donor.email).json()
    browser = Client()
    browser.force_login(donor)
    account_delete(user=donor, actor=donor)
    assert bearer(tokens["access"]).get("/api/v1/users/me/").status_code == 401
    refreshed = APIClient().post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert OutstandingToken.objects.filter(user=donor, blacklistedtoken__isnull=True).count() == 0
    assert browser.get("/api/v1/users/me/").status_code in (401, 403)
    assert login(APIClient(), donor.email).status_code == 401


def test_the_address_can_register_again_as_a_new_person(donor, api_client):
    email = donor.email
    for _ in range(5):  # a lock on the address
        login(api_client, email, password="wrong-password-123")
    assert LoginLock.objects.exists()
    AccountToken.objects.create(
        user=donor, purpose="password_reset", token_hash="x" * 64, expires_at=donor.date_joined.replace(year=2999)
    )
    account_delete(user=donor, actor=donor)
    assert not AccountToken.objects.filter(user=donor).exists()
    assert not LoginLock.objects.filter(scope="account").exists()
    signup = APIClient().post(
        "/api/v1/auth/register/",
        {"email": email, "password": "a-long-enough-passphrase", "first_name": "New", "last_name": "Person"},
        format="json",
    )
    assert signup.status_code == 201, signup.content
    assert User.objects.get(email=email).pk != donor.pk


def test_a_wrong_password_is_400_and_changes_nothing(donor):
    client = client_for(donor)
    for password in ("wrong-password", "", 123):
        response = client.post(URL, {"password": password}, format="json")
        assert response.status_code == 400
    donor.refresh_from_db()
    assert donor.email == "dana@example.org" and donor.is_active and donor.has_usable_password()
    assert not AuditEntry.objects.filter(action="privacy.account_deleted").exists()


def test_anonymous_callers_get_401():
    assert client_for(None).post(URL, {"password": "x"}, format="json").status_code == 401


def test_the_last_admin_of_an_npo_is_refused(donor):
    npo = NPOFactory()
    MembershipFactory(npo=npo, user=donor, role=Role.ADMIN)
    response = client_for(donor).post(URL, {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "LAST_ADMIN" and response.json()["error"]["npo"] == str(npo.pk)
    donor.refresh_from_db()
    assert donor.is_active and donor.email == "dana@example.org"
    # With another admin, they may go; their membership ends (audited) and they lose staff status.
    MembershipFactory(npo=npo, user=UserFactory(), role=Role.ADMIN)
    assert client_for(donor).post(URL, {"password": DEFAULT_PASSWORD}, format="json").status_code == 200
    membership = Membership.objects.get(npo=npo, user=donor)
    assert membership.status == MembershipStatus.REMOVED
    assert AuditEntry.objects.filter(action="membership.remove", object_id=str(membership.pk)).exists()
    donor.refresh_from_db()
    assert not donor.is_staff


def test_blockers_are_pluggable(donor):
    def balance_due(user):
        raise Conflict("BALANCE_DUE", "Paddle 101 has a balance due of 25.00.", balance="25.00")

    deletion_blocker(balance_due)
    try:
        response = client_for(donor).post(URL, {"password": DEFAULT_PASSWORD}, format="json")
    finally:
        _blockers.remove(balance_due)
    assert response.status_code == 409 and response.json()["error"]["code"] == "BALANCE_DUE"
    donor.refresh_from_db()
    assert donor.is_active


def test_deleting_twice_is_refused(donor):
    account_delete(user=donor, actor=donor)
    with pytest.raises(Conflict) as exc:
        account_delete(user=donor, actor=donor)
    assert exc.value.code == "INVALID_TRANSITION"


def test_consent_state_goes_with_the_account(donor):
    publish_both()
    accept(donor)
    user = account_delete(user=donor, actor=donor)
    assert (user.consent_terms_version, user.consent_privacy_version) == ("", "")


def test_super_admins_delete_an_account_from_the_admin_through_the_same_service(superuser, donor):
    accept_all = Client()
    accept_all.force_login(superuser)
    url = reverse("admin:users_user_changelist")
    confirm = accept_all.post(url, {"action": "delete_account", "_selected_action": [donor.pk]})
    assert confirm.status_code == 200 and b"Yes, delete these accounts" in confirm.content
    donor.refresh_from_db()
    assert donor.is_active  # nothing happens before the confirmation
    done = accept_all.post(url, {"action": "delete_account", "_selected_action": [donor.pk], "confirm": "yes"})
    assert done.status_code == 302
    donor.refresh_from_db()
    assert donor.get_full_name() == DELETED_NAME
    entry = AuditEntry.objects.get(action="privacy.account_deleted")
    assert entry.actor_id == superuser.pk and entry.details["by"] == "admin"
    # Their own account is never deleted from the admin (the API with the password is the way).
    accept_all.post(url, {"action": "delete_account", "_selected_action": [superuser.pk], "confirm": "yes"})
    superuser.refresh_from_db()
    assert superuser.is_active


def test_the_outbox_never_queues_mail_to_a_deleted_address(donor):
    from apps.core.outbox import email_queue

    user = account_delete(user=donor, actor=donor)
    assert email_queue(template="auctions/outbid", to=user.email, user=user) is None
