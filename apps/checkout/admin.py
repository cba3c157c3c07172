"""Checkout in the admin: read-only money rows, the cashier's checkout queue and the event dashboard.

The rows (payments, refunds, donations, receipts, saved cards) are append-only: they are written by
the services, from the queue page or the API, never edited here. The two pages:

* **Checkout queue** (``checkout.manage``): paddles with a balance due for one event, searchable by
  number or name. "Cash", "Check" or "Terminal" opens a confirmation of a payment of the full
  balance — one click and a confirm; "Other amount / refund" opens the statement with one short
  form for a partial payment, a refund, a donation line and the receipt. Built for a tablet (usable
  at 820 px), no JavaScript. "Charge cards on file" runs express checkout (``charge_balances``).
* **Event dashboard** (``reports.view``): raised by source, collected vs outstanding, the
  thermometer against the goal and bids per hour, as server-side SVG (no network, no script).

Both are linked from the admin index and the event's admin page; both call the same services and
selectors as the API, scoped by the same capability checks.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from apps.attendance.models import Paddle
from apps.checkout import charts, permissions, reports, selectors
from apps.checkout.models import Donation, Payment, PaymentMethod, ProviderStatus, Receipt, Refund, SavedCard
from apps.checkout.services import charging, donations, payments, receipts, refunds
from apps.core.errors import ErrorCode
from apps.core.exceptions import DomainError
from apps.core.money import money_format
from apps.core.net import client_ip
from apps.events.models import Event, EventStatus
from apps.events.selectors import event_for
from apps.npos import authz
from apps.npos.capabilities import Requirement
from apps.npos.tenancy.admin import TenantScopedAdmin

QUICK_METHODS = [("cash", "Cash"), ("check", "Check"), ("card_terminal", "Terminal")]


#: What the cashier pages need is what the API needs for the same work (apps.checkout.permissions,
#: read by both): the queue takes payments like ``POST …/statements/{n}/payments/``, the dashboard is
#: the reports endpoint.
QUEUE = permissions.STATEMENTS["payments"]
DASHBOARD = permissions.REPORTS["report"]


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


#: The events the cashier's pages work on (a draft has nothing to pay for).
CASHIER_STATUSES = (EventStatus.PUBLISHED, EventStatus.CLOSED)


def events_with(request: HttpRequest, capability: Requirement) -> QuerySet[Event]:
    """Published or closed events of the NPOs where the user holds ``capability`` (the page's list)."""
    qs = Event.objects.filter(status__in=CASHIER_STATUSES).select_related("npo").order_by("-starts_at")
    return authz.scope(qs, request.user, capability)


def may_use(request: HttpRequest, capability: Requirement) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or authz.npo_ids_with(user, capability).exists()))


def selected_event(request: HttpRequest, events: QuerySet[Event], capability: Requirement) -> Event | None:
    """The ``?event=`` (or posted) event when the caller may use it with ``capability``
    (``event_for``, the API's answer) and it is published or closed; the first of ``events`` when
    none is named. A named event the caller may not use (another NPO's, a draft, a malformed id) is
    None — never a fallback to some other event, which would record a payment on the wrong paddle."""
    raw = request.POST.get("event") or request.GET.get("event")
    if not raw:
        return events.first()
    try:
        event = event_for(request.user, raw, capability=capability).event
    except DomainError:
        return None
    return event if event.status in CASHIER_STATUSES else None


class QuickPayForm(forms.Form):
    reference = forms.CharField(max_length=100, required=False, label="Reference (check number, authorisation)")


class PaymentForm(forms.Form):
    amount = forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    )
    method = forms.ChoiceField(choices=list(PaymentMethod.choices))
    reference = forms.CharField(max_length=100, required=False)


class RefundForm(forms.Form):
    payment = forms.ChoiceField(choices=[])
    amount = forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    )
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, payments: list[Any], currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment"].choices = [  # type: ignore[attr-defined]
            (
                str(p.id),
                f"{p.created_at:%H:%M} {dict(PaymentMethod.choices)[p.method]} {money_format(p.amount, currency)} "
                f"(refundable {money_format(p.refundable, currency)})",
            )
            for p in payments
            if p.refundable > 0
        ]


class DonationForm(forms.Form):
    amount = forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    )


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, TenantScopedAdmin):
    npo_path = "event__npo"
    view_capability = QUEUE
    list_display = ["created_at", "event", "bidder", "method", "amount", "status", "reference", "recorded_by"]
    list_select_related = ["event", "paddle", "recorded_by"]
    list_filter = ["method", "status"]
    search_fields = ["reference", "paddle__number"]

    @admin.display(description="bidder #")
    def bidder(self, obj: Payment) -> int:
        return obj.paddle.number

    # --- the cashier's pages -------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("queue/", view(self.queue_view), name="checkout_queue"),
            path("queue/pay/", view(self.quick_pay_view), name="checkout_quick_pay"),
            path("queue/statement/", view(self.statement_view), name="checkout_statement"),
            path("queue/charge-cards/", view(self.charge_cards_view), name="checkout_charge_cards"),
            path("dashboard/", view(self.dashboard_view), name="checkout_dashboard"),
            *super().get_urls(),
        ]

    def _cashier(self, request: HttpRequest) -> QuerySet[Event]:
        if not may_use(request, QUEUE):
            raise PermissionDenied
        return events_with(request, QUEUE)

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        # No model sidebar on the cashier's pages: the whole width of a tablet goes to the queue.
        context = {**self.admin_site.each_context(request), "is_nav_sidebar_enabled": False}
        return {**context, "title": title, "opts": self.model._meta, **extra}

    def _paddle(self, request: HttpRequest, event: Event) -> Paddle | None:
        raw = request.POST.get("number") or request.GET.get("number") or ""
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            return None
        return (
            Paddle.objects.filter(event=event, number=int(raw)).prefetch_related(selectors.holders_prefetch()).first()
        )

    def _queue_url(self, event: Event, **params: Any) -> str:
        return f"{reverse('admin:checkout_queue')}?{urlencode({'event': event.pk, **params})}"

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        """Paddles with a balance due, largest first or by number; search by number or name."""
        events = self._cashier(request)
        event = selected_event(request, events, QUEUE)
        search = (request.GET.get("q") or "")[:100]
        ordering = "-balance_due" if request.GET.get("o") == "-balance_due" else "bidder_number"
        page = None
        if event is not None:
            qs = selectors.statements_of_event(event, balance="due", search=search, ordering=ordering)
            # A declined card on file shows in the queue, so the cashier asks for another way to pay.
            last_card = Payment.objects.filter(paddle=OuterRef("pk"), method=PaymentMethod.CARD_ON_FILE).order_by(
                "-created_at"
            )
            qs = qs.annotate(
                last_card_status=Subquery(last_card.values("status")[:1]),
                last_card_reason=Subquery(last_card.values("failure_reason")[:1]),
            )
            page = Paginator(qs.values_list("pk", flat=True), 50).get_page(request.GET.get("p"))
            page.object_list = selectors.page_rows(qs, page.object_list)
        context = self._context(
            request,
            "Checkout queue",
            events=events,
            event=event,
            page=page,
            search=search,
            ordering=ordering,
            quick_methods=QUICK_METHODS,
            dashboard=may_use(request, DASHBOARD),
        )
        return TemplateResponse(request, "admin/checkout/queue.html", context)

    def quick_pay_view(self, request: HttpRequest) -> HttpResponse:
        """The confirmation of a full-balance payment (GET), and recording it (POST)."""
        events = self._cashier(request)
        event = selected_event(request, events, QUEUE)
        paddle = self._paddle(request, event) if event else None
        method = request.POST.get("method") or request.GET.get("method")
        if event is None or paddle is None or method not in dict(QUICK_METHODS):
            messages.error(request, "Choose a paddle and a payment method from the queue.")
            return HttpResponseRedirect(reverse("admin:checkout_queue"))
        statement = selectors.statement_for_paddle(paddle, event=event)
        form = QuickPayForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            amount = request.POST.get("amount", "")
            if amount != str(statement.payable):
                messages.warning(
                    request, f"The balance of #{paddle.number} changed meanwhile; check it and confirm again."
                )
            else:
                try:
                    payments.payment_take(
                        paddle=paddle,
                        amount=amount,
                        method=method,
                        reference=form.cleaned_data["reference"],
                        actor=request.user,
                        ip=client_ip(request),
                    )
                except DomainError as exc:
                    messages.error(request, f"#{paddle.number}: {exc.message}")
                else:
                    messages.success(
                        request,
                        f"#{paddle.number} paid {money_format(amount, event.npo.currency)} "
                        f"({dict(QUICK_METHODS)[method]}).",
                    )
                    return HttpResponseRedirect(self._queue_url(event))
            statement = selectors.statement_for_paddle(paddle, event=event)
        context = self._context(
            request,
            f"Confirm payment — bidder {paddle.number}",
            event=event,
            statement=statement,
            method=method,
            method_label=dict(QUICK_METHODS)[method],
            form=form,
            queue_url=self._queue_url(event),
        )
        return TemplateResponse(request, "admin/checkout/quick_pay.html", context)

    def statement_view(self, request: HttpRequest) -> HttpResponse:
        """One statement with the short forms: partial payment, refund, donation, receipt."""
        events = self._cashier(request)
        event = selected_event(request, events, QUEUE)
        paddle = self._paddle(request, event) if event else None
        if event is None or paddle is None:
            messages.error(request, "No such bidder number in this event.")
            return HttpResponseRedirect(reverse("admin:checkout_queue"))
        statement = selectors.statement_for_paddle(paddle, event=event)
        action = request.POST.get("action") if request.method == "POST" else None
        pay_form = PaymentForm(request.POST if action == "pay" else None, initial={"amount": statement.payable})
        cur = statement.currency
        refund_form = RefundForm(
            request.POST if action == "refund" else None,
            payments=statement.payments,
            currency=cur,
            auto_id="id_refund_%s",
        )
        donation_form = DonationForm(request.POST if action == "donate" else None, auto_id="id_donation_%s")
        ip = client_ip(request)
        try:
            done = None
            if action == "pay" and pay_form.is_valid():
                data = pay_form.cleaned_data
                payment = payments.payment_take(
                    paddle=paddle,
                    amount=data["amount"],
                    method=data["method"],
                    reference=data["reference"],
                    actor=request.user,
                    ip=ip,
                )
                done = (
                    f"Payment of {money_format(payment.amount, cur)} recorded."
                    if payment.status == ProviderStatus.SUCCEEDED
                    else f"Card payment {payment.status}: {payment.failure_reason}"
                )
            elif action == "refund" and refund_form.is_valid():
                data = refund_form.cleaned_data
                target = Payment.objects.filter(paddle=paddle, pk=data["payment"]).first()
                if target is None:
                    raise DomainError(ErrorCode.NOT_FOUND, "Choose a payment of this statement.")
                refund = refunds.refund_take(
                    payment=target, amount=data["amount"], reason=data["reason"], actor=request.user, ip=ip
                )
                done = f"Refund of {money_format(refund.amount, cur)} {refund.status}."
            elif action == "donate" and donation_form.is_valid():
                donation = donations.donation_add(
                    paddle=paddle, amount=donation_form.cleaned_data["amount"], actor=request.user, ip=ip
                )
                done = f"Donation of {money_format(donation.amount, cur)} added."
            elif action == "undo-donation":
                target_donation = Donation.objects.filter(
                    paddle=paddle, pk=_uuid_or_none(request.POST.get("donation"))
                ).first()
                if target_donation is None:
                    raise DomainError(ErrorCode.NOT_FOUND, "No such donation on this statement.")
                donations.donation_undo(donation=target_donation, actor=request.user, ip=ip)
                done = "Donation undone."
            elif action == "send-receipt":
                receipt = receipts.receipt_issue(paddle=paddle, actor=request.user, ip=ip)
                sent = receipts.receipt_send(receipt=receipt, actor=request.user, ip=ip)
                done = f"Receipt {receipt.number} " + ("e-mailed." if sent else "issued (no e-mail address on file).")
            if done:
                messages.success(request, f"#{paddle.number}: {done}")
                query = urlencode({"event": str(event.pk), "number": str(paddle.number)})
                return HttpResponseRedirect(f"{reverse('admin:checkout_statement')}?{query}")
        except DomainError as exc:
            messages.error(request, f"#{paddle.number}: {exc.message}")
            statement = selectors.statement_for_paddle(paddle, event=event)
        context = self._context(
            request,
            f"Statement — bidder {paddle.number}",
            event=event,
            statement=statement,
            pay_form=pay_form,
            refund_form=refund_form,
            donation_form=donation_form,
            card=selectors.active_card(paddle),
            queue_url=self._queue_url(event),
            receipt_url=reverse("checkout-statement-receipt", args=[event.pk, paddle.number]),
        )
        return TemplateResponse(request, "admin/checkout/statement.html", context)

    def charge_cards_view(self, request: HttpRequest) -> HttpResponse:
        """Express checkout for one event: a confirmation (GET), then ``balances_charge`` (POST)."""
        events = self._cashier(request)
        event = selected_event(request, events, QUEUE)
        if event is None:
            return HttpResponseRedirect(reverse("admin:checkout_queue"))
        if request.method == "POST":
            report = charging.balances_charge(event=event, actor=request.user)
            messages.success(
                request,
                f"Charged {len(report.charged)} card(s), {money_format(report.total_charged, event.npo.currency)}; "
                f"{len(report.declined)} declined, {len(report.skipped)} skipped, "
                f"{len(report.queued)} queued for the worker.",
            )
            for number, amount, reason in report.declined:
                messages.warning(request, f"#{number}: {money_format(amount, event.npo.currency)} declined ({reason})")
            return HttpResponseRedirect(self._queue_url(event))
        preview = charging.balances_charge(event=event, dry_run=True)
        context = self._context(
            request, "Charge cards on file", event=event, preview=preview, queue_url=self._queue_url(event)
        )
        return TemplateResponse(request, "admin/checkout/charge_cards.html", context)

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        """The event's figures and charts (``reports.view``)."""
        if not may_use(request, DASHBOARD):
            raise PermissionDenied
        events = events_with(request, DASHBOARD)
        event = selected_event(request, events, DASHBOARD)
        context: dict[str, Any] = {"events": events, "event": event, "queue": may_use(request, QUEUE)}
        if event is not None:
            summary = reports.report_summary(event)
            cur = event.npo.currency
            by_source = [(reports.SOURCE_LABELS[k], Decimal(v)) for k, v in summary["by_source"].items()]
            context.update(
                summary=summary,
                currency=cur,
                raised_chart=charts.bars(by_source, currency=cur),
                collected_chart=charts.split_bar(
                    Decimal(summary["collected"]), Decimal(summary["outstanding"]), currency=cur
                ),
                thermometer=charts.thermometer(Decimal(summary["raised"]), event.goal_amount, currency=cur),
                bids_chart=charts.timeline(reports.bids_over_time(event)),
                unpaid=selectors.statements_of_event(event, balance="due", ordering="-balance_due")[:10],
                csv_links=[
                    (name, reverse("checkout-report", args=[event.pk, name]) + "?format=csv")
                    for name in reports.REPORTS
                ],
            )
        return TemplateResponse(
            request, "admin/checkout/dashboard.html", self._context(request, "Event dashboard", **context)
        )


def _uuid_or_none(raw: Any) -> Any:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, TenantScopedAdmin):
    npo_path = "event__npo"
    view_capability = QUEUE
    list_display = ["created_at", "event", "bidder", "amount", "status", "reason", "recorded_by"]
    list_select_related = ["event", "paddle", "recorded_by"]
    list_filter = ["status"]

    @admin.display(description="bidder #")
    def bidder(self, obj: Refund) -> int:
        return obj.paddle.number


@admin.register(Donation)
class DonationAdmin(ReadOnlyMixin, TenantScopedAdmin):
    npo_path = "event__npo"
    view_capability = QUEUE
    list_display = ["created_at", "event", "bidder", "amount", "source", "undone_at"]
    list_select_related = ["event", "paddle"]
    list_filter = ["source", ("undone_at", admin.EmptyFieldListFilter)]

    @admin.display(description="bidder #")
    def bidder(self, obj: Donation) -> int:
        return obj.paddle.number


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyMixin, TenantScopedAdmin):
    npo_path = "npo"
    view_capability = QUEUE
    list_display = ["number", "npo", "event", "bidder", "total", "deductible_total", "paid", "created_at"]
    list_select_related = ["npo", "event", "paddle"]
    search_fields = ["paddle__number"]
    exclude = ["snapshot", "fingerprint"]

    @admin.display(description="bidder #")
    def bidder(self, obj: Receipt) -> int:
        return obj.paddle.number


@admin.register(SavedCard)
class SavedCardAdmin(ReadOnlyMixin, TenantScopedAdmin):
    npo_path = "registration__event__npo"
    view_capability = QUEUE
    list_display = ["registration", "provider", "status", "brand", "last4", "created_at"]
    list_select_related = ["registration"]
    list_filter = ["provider", "status"]
    exclude = ["customer_id", "setup_intent_id", "payment_method_id"]
