"""Receipts (checkout.md "Receipts").

* :func:`receipt_issue` — numbers a receipt for a statement: the NPO's ``ReceiptCounter`` row is
  locked and incremented in the same transaction as the receipt is written, so numbers are
  sequential per NPO, never reused, and gapless (a rolled-back issue rolls its number back too; a
  unique constraint backs it). The statement is frozen into ``snapshot`` (a receipt never changes
  after it is printed); asking again for an unchanged statement returns the same receipt.
  Lock order: the paddle row (level 4), then the counter (last).
* :func:`receipt_send` — an outbox e-mail to the paddle's registrant with the PDF attached (built
  at send time by the ``checkout.receipt_pdf`` attachment builder from the receipt id).
* :func:`receipt_render_pdf` — the PDF, rendered in-process by reportlab (pure Python, no system
  library; `make run` needs nothing else), with reportlab's bundled Vera font for non-ASCII names.

The quid-pro-quo statement follows IRS Publication 1771: for a payment over $75 made partly as a
contribution and partly for goods or services, the receipt states that only the excess over the
value of the goods or services is deductible, and gives that value.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.checkout.models import Receipt, ReceiptCounter
from apps.checkout.services.common import lock_statement_paddle, statement_audit
from apps.core import outbox
from apps.core.money import money_format, money_str
from apps.core.services import audit_record

QUID_PRO_QUO_THRESHOLD = Decimal("75.00")
METHOD_LABELS = {
    "cash": "Cash",
    "check": "Check",
    "card_terminal": "Card (terminal)",
    "card_on_file": "Card on file",
    "other": "Other",
}
KIND_LABELS = {
    "silent": "Silent auction",
    "live": "Live auction",
    "buy_now": "Buy now",
    "pledge": "Pledge",
    "donation": "Donation",
}


def quid_pro_quo_text(*, npo_name: str, fmv_total: Decimal, deductible_total: Decimal, currency: str) -> str:
    return (
        f"Quid pro quo disclosure: the amount of your contribution that is deductible for federal income tax "
        f"purposes is limited to the excess of the amount you paid over the value of the goods and services "
        f"provided by {npo_name.rstrip('.')}. Goods and services provided to you were valued at "
        f"{money_format(fmv_total, currency)}; "
        f"your estimated deductible contribution is {money_format(deductible_total, currency)}. Items whose fair "
        f"market value is not known are not counted as deductible. Pledges and donations received no goods or "
        f"services in return."
    )


def receipt_snapshot(statement: selectors.Statement) -> dict[str, Any]:
    """The statement as a receipt shows it (JSON-ready; amounts as 2-place strings)."""
    npo = statement.event.npo
    address = [
        line
        for line in (
            npo.address_line1,
            npo.address_line2,
            " ".join(part for part in (npo.city, npo.state, npo.postal_code) if part),
            npo.country,
        )
        if line
    ]
    m = money_str
    legal_name = getattr(npo, "legal_name", "") or npo.name
    return {
        "npo": {
            "name": npo.name,
            "legal_name": legal_name,
            "address": address,
            "tax_id": npo.tax_id,
            "email": npo.email,
        },
        "event": {
            "name": statement.event.name,
            "date": statement.event.starts_at.date().isoformat() if statement.event.starts_at else "",
        },
        "bidder_number": statement.number,
        "holders": statement.holders,
        "currency": statement.currency,
        "lines": [
            {
                "kind": line.kind,
                "kind_label": KIND_LABELS.get(line.kind, line.kind),
                "description": line.description,
                "amount": m(line.amount),
                "fair_market_value": m(line.fair_market_value),
                "fmv_known": line.fmv_known,
                "deductible": m(line.deductible),
            }
            for line in statement.lines
        ],
        "payments": [
            {
                "method": p.method,
                "method_label": METHOD_LABELS.get(p.method, p.method),
                "amount": m(p.amount),
                "refunded": m(p.refunded),
                "reference": p.reference,
                "date": p.created_at.date().isoformat(),
            }
            for p in statement.payments
            if p.status == "succeeded"
        ],
        "total": m(statement.total),
        "fmv_total": m(statement.fmv_total),
        "deductible_total": m(statement.deductible_total),
        "paid": m(statement.paid),
        "balance_due": m(statement.balance_due),
        "quid_pro_quo": statement.total > QUID_PRO_QUO_THRESHOLD and statement.fmv_total > 0,
        "quid_pro_quo_text": quid_pro_quo_text(
            npo_name=legal_name,
            fmv_total=statement.fmv_total,
            deductible_total=statement.deductible_total,
            currency=statement.currency,
        ),
    }


def _fingerprint(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()


def _next_number(npo_id: Any) -> int:
    """Lock the NPO's counter row (creating it once) and take the next number."""
    if not ReceiptCounter.objects.filter(npo_id=npo_id).exists():
        try:
            with transaction.atomic():
                ReceiptCounter.objects.create(npo_id=npo_id, last_number=0)
        except IntegrityError:  # another issuer created it first
            pass
    counter = ReceiptCounter.objects.select_for_update().get(npo_id=npo_id)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def receipt_issue(
    *, paddle: Paddle, actor: Any, ip: str | None = None, statement: selectors.Statement | None = None
) -> Receipt:
    """The receipt of ``paddle``'s statement as it is now: the latest one if nothing changed since,
    else a new one with the NPO's next number."""
    paddle = lock_statement_paddle(paddle)
    statement = statement or selectors.statement_for_paddle(paddle)
    snapshot = receipt_snapshot(statement)
    fingerprint = _fingerprint(snapshot)
    latest = Receipt.objects.filter(paddle=paddle).order_by("-created_at", "-number").first()
    if latest is not None and latest.fingerprint == fingerprint:
        return latest
    number = _next_number(statement.event.npo_id)
    issued_at = timezone.now()
    receipt = Receipt.objects.create(
        npo_id=statement.event.npo_id,
        event_id=statement.event.pk,
        paddle=paddle,
        number=number,
        fingerprint=fingerprint,
        snapshot={**snapshot, "number": number, "issued_at": issued_at.isoformat()},
        total=statement.total,
        deductible_total=statement.deductible_total,
        paid=statement.paid,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    statement_audit(actor, "receipt.issue", receipt, statement, ip, number=number, total=str(statement.total))
    return receipt


def receipt_send(*, receipt: Receipt, actor: Any, ip: str | None = None) -> bool:
    """Queue the receipt e-mail (PDF attached) to the registrant; False when there is no address."""
    paddle = Paddle.objects.select_related("registration__user").get(pk=receipt.paddle_id)
    email, user = selectors.registrant_email(paddle)
    with transaction.atomic():
        row = outbox.email_queue(
            template="checkout/receipt",
            to=email,
            user=user,
            context={"receipt_id": str(receipt.pk)},
            ref=f"receipt:{receipt.pk}",
            attachments=[("checkout.receipt_pdf", str(receipt.pk))],
        )
        audit_record(
            actor=actor,
            action="receipt.send",
            obj=receipt,
            npo_id=receipt.npo_id,
            ip=ip,
            details={"number": receipt.number, "queued": row is not None},
        )
    return row is not None


@outbox.context_builder("checkout/receipt")
def _receipt_mail_context(row: Any) -> dict[str, Any]:
    receipt = Receipt.objects.filter(pk=row.context.get("receipt_id")).first()
    if receipt is None:
        raise outbox.Cancel("the receipt no longer exists")
    return {"receipt": receipt.snapshot}


@outbox.attachment_builder("checkout.receipt_pdf")
def _receipt_pdf_attachment(row: Any, ref: str) -> tuple[str, bytes, str]:
    receipt = Receipt.objects.get(pk=ref)
    return f"receipt-{receipt.number}.pdf", receipt_render_pdf(receipt), "application/pdf"


# --- the PDF ------------------------------------------------------------------------------------

_FONT: tuple[str, str] | None = None


def _fonts() -> tuple[str, str]:
    """Reportlab's bundled Bitstream Vera (Latin-1 and more), else the built-in Helvetica."""
    global _FONT
    if _FONT is None:
        try:
            # reportlab only when a PDF is built (0.25 s to import in every web and worker process).
            import reportlab
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
            pdfmetrics.registerFont(TTFont("AugeoVera", os.path.join(folder, "Vera.ttf")))
            pdfmetrics.registerFont(TTFont("AugeoVeraBold", os.path.join(folder, "VeraBd.ttf")))
            _FONT = ("AugeoVera", "AugeoVeraBold")
        except Exception:  # pragma: no cover - a reportlab without its fonts
            _FONT = ("Helvetica", "Helvetica-Bold")
    return _FONT


def receipt_render_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A4/Letter-neutral PDF (reportlab platypus)."""
    # reportlab only when a PDF is built (see _fonts).
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    data = receipt.snapshot
    cur = data.get("currency", "")
    base = ParagraphStyle("base", fontName=regular, fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5, textColor=colors.HexColor("#444444"))
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20)
    heading = ParagraphStyle("heading", parent=base, fontName=bold, fontSize=11, leading=15, spaceBefore=8)
    right = ParagraphStyle("right", parent=base, alignment=2)

    def p(text: Any, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    npo = data["npo"]
    story: list[Any] = [p(npo["legal_name"], title)]
    for line in npo["address"]:
        story.append(p(line, small))
    if npo.get("tax_id"):
        story.append(p(f"Tax ID (EIN): {npo['tax_id']}", small))
    story.append(Spacer(1, 6 * mm))
    header = [
        [p("Receipt number", small), p(str(receipt.number), ParagraphStyle("n", parent=base, fontName=bold))],
        [p("Date", small), p(str(data.get("issued_at", ""))[:10])],
        [p("Event", small), p(f"{data['event']['name']} ({data['event']['date']})")],
        [p("Bidder number", small), p(str(data["bidder_number"]))],
        [p("Received from", small), p(", ".join(data.get("holders") or []) or "-")],
    ]
    story.append(Table(header, colWidths=[35 * mm, 140 * mm], hAlign="LEFT"))
    story.append(p("Items and gifts", heading))
    rows: list[list[Any]] = [
        [p("Description", small), p("Amount", small), p("Fair market value", small), p("Deductible", small)]
    ]
    for line in data["lines"]:
        fmv = money_format(line["fair_market_value"]) if line["fmv_known"] else "not known"
        rows.append(
            [
                p(f"{line['kind_label']}: {line['description']}"),
                p(money_format(line["amount"]), right),
                p(fmv, right),
                p(money_format(line["deductible"]), right),
            ]
        )
    rows.append(
        [
            p("Total", ParagraphStyle("t", parent=base, fontName=bold)),
            p(money_format(data["total"], cur), right),
            p(money_format(data["fmv_total"], cur), right),
            p(money_format(data["deductible_total"], cur), ParagraphStyle("d", parent=right, fontName=bold)),
        ]
    )
    table = Table(rows, colWidths=[85 * mm, 30 * mm, 32 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f4f4f4")]),
            ]
        )
    )
    story.append(table)
    story.append(p("Payments", heading))
    pay_rows: list[list[Any]] = [[p("Date", small), p("Method", small), p("Reference", small), p("Amount", small)]]
    for pay in data["payments"]:
        amount = money_format(pay["amount"]) + (
            f" (refunded {money_format(pay['refunded'])})" if pay["refunded"] != "0.00" else ""
        )
        pay_rows.append([p(pay["date"]), p(pay["method_label"]), p(pay["reference"] or "-"), p(amount, right)])
    if len(pay_rows) == 1:
        pay_rows.append([p("-"), p("No payment recorded"), p(""), p("")])
    pay_rows.append([p("Paid"), p(""), p(""), p(money_format(data["paid"], cur), right)])
    pay_rows.append([p("Balance due"), p(""), p(""), p(money_format(data["balance_due"], cur), right)])
    pay_table = Table(pay_rows, colWidths=[30 * mm, 45 * mm, 70 * mm, 32 * mm])
    pay_table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black)]))
    story.append(pay_table)
    story.append(Spacer(1, 6 * mm))
    story.append(p(f"Deductible amount: {money_format(data['deductible_total'], cur)}", heading))
    story.append(p(data["quid_pro_quo_text"], small))
    story.append(Spacer(1, 3 * mm))
    story.append(p(f"Thank you for supporting {npo['name']}. Please keep this receipt for your tax records.", small))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Receipt {receipt.number}",
        author=npo["legal_name"],
    )
    doc.build(story)
    return buffer.getvalue()
