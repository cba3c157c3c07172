"""The privacy export: 202, built after commit, stored privately, e-mailed, one per hour, pruned."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apps.core import uploads
from apps.core.models import AuditEntry, OutboxEmail
from apps.legal.hooks import SECTION_NAMES, export_section, export_sections
from apps.legal.models import ExportStatus, PrivacyExport
from apps.legal.services import exports
from apps.legal.tests.scenario import DONOR_VALUES, OTHER_SECRETS, build_history
from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy/export/"


def _request(client, capture):
    with capture(execute=True):
        return client.post(URL)


def _content(export: PrivacyExport) -> dict:
    with uploads.storage().open(export.file_name) as handle:
        return json.loads(handle.read())


def test_an_export_holds_every_section_and_nothing_of_anyone_else(donor, other, django_capture_on_commit_callbacks):
    history = build_history(donor, other)
    response = _request(client_for(donor), django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending" and response.json()["link"] is None
    export = PrivacyExport.objects.get(user=donor)
    assert export.status == ExportStatus.READY and export.attempts == 1
    assert export.expires_at - export.ready_at == timedelta(hours=24)
    assert export.file_name.startswith(f"privacy-exports/{donor.pk}/") and export.file_name.endswith(".json")

    data = _content(export)
    assert list(data)[2:] == SECTION_NAMES
    text = json.dumps(data)
    for secret in OTHER_SECRETS:
        assert secret not in text, f"the export holds {secret!r} of another person"
    for value in DONOR_VALUES:
        assert value in text, f"the export lacks {value!r}"
    assert data["profile"]["email"] == donor.email
    assert data["registrations"][0]["notes"] == "Wheelchair access"
    assert {g["first_name"] for g in data["registrations"][0]["guests"]} == {"Dana", "Gina", "Paul"}
    assert [p["bidder_number"] for p in data["paddles"]] == [history.donor_number]
    assert {b["max_amount"] for b in data["bids"]} >= {"777.77"}
    assert {b["bidder_number"] for b in data["bids"]} == {history.donor_number}
    assert [p["amount"] for p in data["purchases"]] == ["55.55"]
    assert [s["amount"] for s in data["sales"]] == ["1234.00"]
    assert [p["amount"] for p in data["pledges"]] == ["500.00"]
    # Checkout's sections: the paddle's statement (the sale, the purchase and the pledge; the open
    # silent item is not a line yet) and its payments (none).
    assert [(s["bidder_number"], s["total"]) for s in data["statements"]] == [(history.donor_number, "1789.55")]
    assert data["payments"] == []
    assert {(c["action"], c["document_type"]) for c in data["consents"]} >= {("accept", "terms"), ("cookies", None)}
    assert data["cookie_preferences"]["analytics"] is True
    assert {e["action"] for e in data["audit"]} >= {"bid.place", "privacy.export_requested"}

    message = mail.outbox[-1]
    assert message.to == [donor.email] and "export" in message.subject.lower()
    link = exports.export_download_url(export)
    # The mailed link is minted at send time: on Azure its SAS token (signed start/expiry) may differ
    # by a second from one minted now, so compare the file's address without the token.
    assert link and link.split("?")[0] in message.body
    assert OutboxEmail.objects.get(template="legal/privacy_export").context == {"export_id": str(export.pk)}
    listing = client_for(donor).get("/api/v1/privacy/exports/").json()
    assert listing["count"] == 1 and listing["results"][0]["status"] == "ready" and listing["results"][0]["link"]
    assert AuditEntry.objects.filter(action="privacy.export_ready", object_id=str(export.pk)).exists()


def test_one_export_per_hour(donor, django_capture_on_commit_callbacks):
    client = client_for(donor)
    assert _request(client, django_capture_on_commit_callbacks).status_code == 202
    again = client.post(URL)
    assert again.status_code == 429 and again.json()["error"]["code"] == "THROTTLED"
    assert 3500 <= int(again["Retry-After"]) <= 3600
    PrivacyExport.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert _request(client, django_capture_on_commit_callbacks).status_code == 202
    assert PrivacyExport.objects.filter(user=donor).count() == 2


def test_anonymous_callers_get_401():
    assert client_for(None).post(URL).status_code == 401
    assert client_for(None).get("/api/v1/privacy/exports/").status_code == 401


def test_a_failed_build_is_marked_and_retried_by_the_command(donor, monkeypatch):
    export = exports.privacy_export_request(user=donor)  # on_commit never runs inside the test transaction
    assert export.status == ExportStatus.PENDING

    def broken(user):
        raise RuntimeError("storage exploded")

    monkeypatch.setattr(exports, "_serialise", broken)
    assert exports.privacy_export_build(export.pk) is False
    export.refresh_from_db()
    assert (export.status, export.attempts, export.last_error) == (ExportStatus.FAILED, 1, "storage exploded")
    monkeypatch.undo()
    out = StringIO()
    call_command("build_privacy_exports", stdout=out)
    assert "1 of 1 export(s) ready" in out.getvalue()
    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.attempts == 2
    assert exports.privacy_export_build(export.pk) is False  # done: nothing to do twice


def test_pending_exports_are_picked_up_after_a_minute_and_attempts_are_capped(donor, monkeypatch):
    export = exports.privacy_export_request(user=donor)
    assert exports.privacy_exports_retry() == (0, 0)  # too young: its hand-over may still be running
    PrivacyExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    monkeypatch.setattr(exports, "_serialise", lambda user: (_ for _ in ()).throw(OSError("down")))
    for _ in range(exports.MAX_ATTEMPTS + 2):
        exports.privacy_exports_retry()
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and export.attempts == exports.MAX_ATTEMPTS


def test_expired_exports_are_pruned_and_their_link_dies(donor, django_capture_on_commit_callbacks):
    _request(client_for(donor), django_capture_on_commit_callbacks)
    export = PrivacyExport.objects.get()
    name = export.file_name
    assert uploads.storage().exists(name)
    PrivacyExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("prune_expired", "--dry-run", stdout=out)
    assert "expired privacy export files: would delete 1" in out.getvalue()
    call_command("prune_expired", stdout=StringIO())
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and export.file_name == ""
    assert not uploads.storage().exists(name)
    assert exports.export_download_url(export) is None
    listed = client_for(donor).get("/api/v1/privacy/exports/").json()["results"][0]
    assert listed["status"] == "expired" and listed["link"] is None


def test_the_mail_is_cancelled_when_the_export_is_gone(donor, django_capture_on_commit_callbacks):
    export = exports.privacy_export_request(user=donor)
    exports.privacy_export_build(export.pk)
    PrivacyExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    from apps.core.outbox import outbox_deliver

    row = OutboxEmail.objects.get(template="legal/privacy_export")
    outbox_deliver([row.pk])
    row.refresh_from_db()
    assert row.status == "cancelled"


def test_apps_can_add_sections(donor):
    @export_section("loyalty_points")
    def points(user):
        return [{"points": 7}]

    try:
        from apps.legal.exporting import privacy_export_data

        data = privacy_export_data(donor)
        assert data["loyalty_points"] == [{"points": 7}] and list(data)[-1] == "loyalty_points"
    finally:
        from apps.legal import hooks

        hooks._sections.pop("loyalty_points")
    assert "loyalty_points" not in export_sections()


def test_list_query_count_is_constant(donor, django_assert_num_queries):
    for _ in range(3):
        PrivacyExport.objects.create(user=donor)
    with django_assert_num_queries(2):
        assert client_for(donor).get("/api/v1/privacy/exports/").json()["count"] == 3
    for _ in range(7):
        PrivacyExport.objects.create(user=donor)
    with django_assert_num_queries(2):
        assert client_for(donor).get("/api/v1/privacy/exports/").json()["count"] == 10


@pytest.mark.azure
def test_on_azure_the_file_is_private_and_the_link_a_sas_url(donor, django_capture_on_commit_callbacks):
    import urllib.error
    import urllib.request

    _request(client_for(donor), django_capture_on_commit_callbacks)
    export = PrivacyExport.objects.get()
    link = exports.export_download_url(export)
    assert link is not None and "sig=" in link and "se=" in link
    with urllib.request.urlopen(link, timeout=10) as response:  # noqa: S310 - the test's own Azurite
        assert response.status == 200
        assert response.headers["Content-Disposition"] == "attachment"
        assert json.loads(response.read())["profile"]["email"] == donor.email
    bare = link.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bare, timeout=10)  # noqa: S310
    assert refused.value.code in (403, 404)


def test_the_scheduled_retry_builds_an_export_whose_task_was_lost(donor):
    from apps.legal.tasks import retry_privacy_exports

    export = PrivacyExport.objects.create(user=donor)  # a row whose build task never ran
    PrivacyExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert retry_privacy_exports.call() == [1, 1]
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
