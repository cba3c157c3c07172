from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from apps.attendance.models import Guest, Paddle, Registration, RegistrationSource
from apps.attendance.tests.factories import FoodOptionFactory, PaddleFactory, RegistrationFactory, TableFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = """registrant_email,first_name,last_name,email,phone,meal,table,bidder_number
ann@example.net,Ann,Able,ann@example.net,+15550001,Salmon,1,400
ann@example.net,Andy,Able,,,,1,400
ann@example.net,,,,,,,
bob@example.net,Bo,Baker,bo.guest@example.net,,salmon,,
"""


@pytest.fixture
def setup(event, meal):
    TableFactory(event=event, number=1, capacity=4)
    return event


def write(tmp_path, text):
    path = tmp_path / "guests.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_good_file(setup, tmp_path, capsys):
    event = setup
    existing = UserFactory(email="bob@example.net", first_name="Bob", last_name="Baker")
    call_command("import_guests", str(event.id), write(tmp_path, GOOD))
    assert "Imported 5 guests in 2 registrations" in capsys.readouterr().out
    ann_reg = Registration.objects.get(user__email="ann@example.net")
    assert ann_reg.source == RegistrationSource.IMPORT
    guests = list(ann_reg.guests.order_by("-is_registrant", "-first_name"))
    assert [g.is_registrant for g in guests] == [True, False, False]
    assert guests[0].food_option.name == "Salmon" and guests[0].table.number == 1
    assert guests[0].paddle == guests[1].paddle and guests[0].paddle.number == 400
    assert guests[2].full_name == "" and guests[2].table is None
    assert not User.objects.get(email="ann@example.net").has_usable_password()
    bob_reg = Registration.objects.get(user=existing)
    assert bob_reg.guests.get(is_registrant=True).full_name == "Bob Baker"
    assert bob_reg.guests.count() == 2
    # a second run of the same file is refused (already registered), nothing changes
    with pytest.raises(CommandError):
        call_command("import_guests", event.slug, write(tmp_path, GOOD))
    assert Guest.objects.filter(event=event).count() == 5


def test_dry_run_writes_nothing(setup, tmp_path, capsys):
    call_command("import_guests", str(setup.id), write(tmp_path, GOOD), "--dry-run")
    assert "Would import 5 guests" in capsys.readouterr().out
    assert not Registration.objects.exists() and not User.objects.filter(email="ann@example.net").exists()


def test_broken_rows_are_reported_by_number_and_nothing_is_imported(setup, tmp_path, capsys):
    event = setup
    FoodOptionFactory(name="Beef")  # another event's meal
    PaddleFactory(event=event, number=500, registration=RegistrationFactory(event=event))
    RegistrationFactory(event=event, user=UserFactory(email="dup@example.net"))
    text = """registrant_email,first_name,email,meal,table,bidder_number
ok@example.net,Ok,,,,
,NoOwner,,,,
bad@example.net,X,not-an-email,,,
bad2@example.net,Y,,Beef,,
bad3@example.net,Z,,,9,
bad4@example.net,W,,,,500
bad5@example.net,V,,,,-3
dup@example.net,D,,,,
p1@example.net,A,,,,700
p2@example.net,B,,,,700
"""
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_guests", str(event.id), write(tmp_path, text))
    err = capsys.readouterr().err
    for expected in (
        "row 3: registrant_email",
        "row 4: email",
        "row 5: meal",
        "row 6: table",
        "row 7: bidder_number: 500",
        "row 8: bidder_number",
        "row 9: dup@example.net is already registered",
        "row 11: bidder_number: 700 is used by another party",
    ):
        assert expected in err, expected
    assert "row 2" not in err
    assert not User.objects.filter(email="ok@example.net").exists()
    assert Paddle.objects.filter(event=event).count() == 1


def test_full_table_and_bad_files(setup, tmp_path, capsys):
    event = setup
    rows = "".join(f"t{i}@example.net,G{i},,,1,\n" for i in range(5))
    with pytest.raises(CommandError):
        call_command(
            "import_guests",
            str(event.id),
            write(tmp_path, "registrant_email,first_name,email,meal,table,bidder_number\n" + rows),
        )
    assert "row 6: table: table 1 is full" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("import_guests", str(event.id), write(tmp_path, "name,email\nx,y\n"))
    with pytest.raises(CommandError):
        call_command("import_guests", str(event.id), write(tmp_path, "registrant_email,colour\na@b.c,red\n"))
    with pytest.raises(CommandError):
        call_command("import_guests", str(event.id), write(tmp_path, "registrant_email\na@b.c,extra\n"))
    with pytest.raises(CommandError, match="No event"):
        call_command("import_guests", "no-such-event", write(tmp_path, GOOD))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_guests", str(event.id), str(tmp_path / "missing.csv"))
    path = tmp_path / "latin1.csv"
    path.write_bytes("registrant_email,first_name\na@b.c,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError):
        call_command("import_guests", str(event.id), str(path))
    assert not Registration.objects.exists()


def test_import_guests_hostile_values_are_row_errors(setup, tmp_path, capsys):
    """``"²".isdigit()`` is True (then ``int()`` raised) and a 23-digit bidder number overflowed the
    column: both were tracebacks. Every hostile value is a row error now, and nothing is imported."""
    event = setup
    text = (
        "registrant_email,first_name,last_name,email,phone,meal,table,bidder_number\n"
        "a@example.net,Ann,Able,,,,\u00b2,\n"
        "b@example.net,Bo,Baker,,,,,\u00b2\n"
        "c@example.net,Cy,Cole,,,,,12345678901234567890123\n"
        "d@example.net,Di,Dale,,,,,\u0661\u0660\u0661\n"
        "e@example.net,Ed,Eve,,,,-1,+5\n"
        "f@example.net,Win at,evil.example,,,,,\n"
        "g@example.net,Gus,Gray,,+1\x0055,,,\n"
        f"h@example.net,Hal,Hunt,{'x' * 250}@example.net,,,,\n"
    )
    with pytest.raises(CommandError, match="8 error"):
        call_command("import_guests", str(event.id), write(tmp_path, text))
    err = capsys.readouterr().err
    for row in range(2, 10):
        assert f"row {row}:" in err, row
    assert "table: no table '²'" in err and "bidder_number: must be a whole number from 1 to 999999999" in err
    assert "last_name: names cannot contain web or e-mail addresses" in err
    assert Registration.objects.count() == 0 and Paddle.objects.count() == 0


def test_dry_run_is_a_rolled_back_import(setup, monkeypatch):
    """A dry run goes through the same writes as a real run (so a constraint a real run would hit is
    hit), inside a transaction that is rolled back: the writes happen, then vanish."""
    import io

    from apps.attendance.services import imports
    from apps.core.models import AuditEntry

    made: list[str] = []
    real = imports.user_create_without_password

    def spy(**kwargs):
        made.append(kwargs["email"])
        return real(**kwargs)

    monkeypatch.setattr(imports, "user_create_without_password", spy)
    report = imports.guests_import(event=setup, stream=io.StringIO(GOOD), dry_run=True)
    assert report.ok and report.guests == 5
    assert made == ["ann@example.net", "bob@example.net"]
    assert not Registration.objects.exists() and not User.objects.exists()
    assert not AuditEntry.objects.exists()


def test_imported_accounts_are_made_by_the_one_users_service(setup):
    import io

    from apps.attendance.services.imports import guests_import
    from apps.core.models import AuditEntry

    guests_import(event=setup, stream=io.StringIO(GOOD))
    entries = AuditEntry.objects.filter(action="user.created_without_password")
    assert entries.count() == 2 and {e.details["reason"] for e in entries} == {"import"}
    assert not User.objects.get(email="bob@example.net").has_usable_password()


def test_import_writes_through_the_registration_services_and_mails_nobody(setup):
    """Each party is written by ``registration_write`` (audited with its source), each bidder number
    by ``guest_set_bidder_number`` and each seat by ``guest_assign_table`` — the audit trail shows all
    three — and, unlike an online registration, the import ignores capacity and sends no e-mail."""
    import io

    from apps.attendance.services.imports import guests_import
    from apps.core.models import AuditEntry, OutboxEmail

    setup.capacity = 1  # already "full" for five guests: an import loads a known list regardless
    setup.save(update_fields=["capacity"])
    report = guests_import(event=setup, stream=io.StringIO(GOOD))
    assert report.ok
    created = AuditEntry.objects.filter(action="attendance.registration_created")
    assert sorted(e.details["guests"] for e in created) == [2, 3]
    assert {e.details["source"] for e in created} == {RegistrationSource.IMPORT}
    numbers = AuditEntry.objects.filter(action="attendance.bidder_number_set")
    assert [e.details["new"] for e in numbers] == [400, 400]
    assert AuditEntry.objects.filter(action="attendance.guest_assign_table").count() == 2
    assert not OutboxEmail.objects.exists()


def test_a_number_taken_since_validation_is_a_row_error_and_nothing_is_written(setup, monkeypatch):
    """The file is checked before the event lock; the services re-check under their locks. A bidder
    number a check-in handed out in between is reported against its row, and the import rolls back."""
    import io

    from apps.attendance.services import imports
    from apps.core.models import AuditEntry

    real = imports.lock_event

    def check_in_lands_first(event_id):
        PaddleFactory(event=setup, number=400, registration=RegistrationFactory(event=setup))
        return real(event_id)

    monkeypatch.setattr(imports, "lock_event", check_in_lands_first)
    report = imports.guests_import(event=setup, stream=io.StringIO(GOOD))
    assert report.errors == ["row 2: Bidder number 400 is held by another party."]
    assert not Registration.objects.filter(source=RegistrationSource.IMPORT).exists()
    assert not User.objects.filter(email="ann@example.net").exists()
    assert not AuditEntry.objects.filter(action="attendance.guests_imported").exists()


def test_an_online_registration_since_validation_is_a_row_error(setup, monkeypatch):
    import io

    from apps.attendance.services import imports

    real = imports.lock_event

    def bob_registers_first(event_id):
        RegistrationFactory(event=setup, user=UserFactory(email="bob@example.net"))
        return real(event_id)

    monkeypatch.setattr(imports, "lock_event", bob_registers_first)
    report = imports.guests_import(event=setup, stream=io.StringIO(GOOD))
    assert report.errors == ["row 5: bob@example.net is already registered for this event"]
    assert not Registration.objects.filter(source=RegistrationSource.IMPORT).exists()
