"""Permission-matrix rows for every checkout endpoint (format: ``apps/core/tests/matrix.py``).

``build`` uses the auction world's published event ``auc_event`` in NPO A, where the donor holds
paddle 101 with a live sale (500) and a pledge (250): it adds a cash payment ``chk_payment`` (100)
and a donation ``chk_donation`` (20), and names the donor's registration ``chk_registration``.
Statements and reports are NPO records: outsiders (another NPO's members, the donor) get 404
whether or not the event is public; members without the capability 403.
"""

from __future__ import annotations

from typing import Any

from apps.core.tests.matrix import Row, expect

ANON = {"anon": 401}
#: checkout.manage (and reports.view) in NPO A
CASHIERS = ("admin", "coordinator", "cashier", "super")


def npo_records(ok: int) -> dict[str, int]:
    return expect(all=404, members=403, **dict.fromkeys(CASHIERS, ok), **ANON)


def build(world: dict[str, Any]) -> None:
    from apps.attendance.models import Paddle
    from apps.checkout.models import Donation, Payment

    paddle = Paddle.objects.get(event_id=world["auc_event"], number=101)
    payment = Payment.objects.create(event_id=paddle.event_id, paddle=paddle, amount=100, method="cash")
    donation = Donation.objects.create(event_id=paddle.event_id, paddle=paddle, amount=20)
    world.update(
        chk_payment=str(payment.id),
        chk_donation=str(donation.id),
        chk_registration=str(paddle.registration_id),
        chk_number="101",
        **{f"report_{name}": name for name in ("summary", "items", "donors", "payments")},
    )


E = "/api/v1/events/{auc_event}"
S = f"{E}/statements/{{chk_number}}"
MINE = expect(all=404, donor=200, **ANON)

ROWS = [
    Row("GET", f"{E}/statements/", npo_records(200)),
    Row("GET", f"{S}/", npo_records(200)),
    Row("POST", f"{S}/payments/", npo_records(201), data={"amount": "10.00", "method": "cash"}),
    Row("POST", f"{S}/payments/{{chk_payment}}/refund/", npo_records(201), data={"amount": "10.00"}),
    Row("POST", f"{S}/donations/", npo_records(201), data={"amount": "5.00"}),
    Row("POST", f"{S}/donations/{{chk_donation}}/undo/", npo_records(200)),
    Row("GET", f"{S}/receipt/", npo_records(200)),
    Row("POST", f"{S}/receipt/send/", npo_records(202)),
    Row("GET", f"{E}/my-statement/", MINE),
    Row("GET", f"{E}/my-statement/receipt/", MINE),
    Row("POST", f"{E}/my-statement/donations/", expect(all=404, donor=201, **ANON), data={"amount": "5.00"}),
    Row("GET", f"{E}/reports/{{report_summary}}/", npo_records(200)),
    Row("GET", f"{E}/reports/{{report_items}}/", npo_records(200), name="GET reports/items"),
    Row("GET", f"{E}/reports/{{report_donors}}/?format=csv", npo_records(200), name="GET reports/donors as CSV"),
    Row("GET", f"{E}/reports/{{report_payments}}/", npo_records(200), name="GET reports/payments"),
    Row(
        "POST",
        "/api/v1/registrations/{chk_registration}/card/",
        # visible to the registrant and to attendance.view (403: only the registrant saves a card)
        expect(all=404, donor=200, admin=403, coordinator=403, staff=403, cashier=403, super=403, **ANON),
    ),
    Row("POST", "/api/v1/payments/stripe/webhook/", expect(all=404), data={"id": "evt_1", "type": "x"}),
]
