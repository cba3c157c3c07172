"""The contents of a privacy export (legal.md "Privacy: export and deletion"): read-only selectors,
one per section, registered with :func:`apps.legal.hooks.export_section`.

"Their" rows are the ones the person is the subject of, and nothing of anybody else:

* registrations they own, with the guests they entered; for a party they joined as a guest, only
  their own guest row;
* their bidder numbers (paddles): the ones their own guest rows hold, and their party's numbers that
  no other account holds;
* bids, purchases and pledges they placed (with their own maximums), plus the rows without an
  account (clerk-entered, the system bidding for a proxy) on their bidder numbers; sales to their
  bidder numbers;
* the consent log, their cookie choices and the audit entries where they are the actor.

Statements and payments are contributed by the checkout app once it is installed; until then the
sections are present and empty.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from apps.attendance.models import Guest, Paddle, Registration
from apps.auctions.models import Bid, Pledge, Purchase, Sale
from apps.core.models import AuditEntry
from apps.legal.hooks import export_section, export_sections
from apps.legal.models import ConsentRecord, CookiePreference
from apps.npos.models import Membership

EXPORT_FORMAT = "augeo-privacy-export/1"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _event(event: Any) -> dict[str, Any]:
    return {"id": str(event.pk), "name": event.name, "slug": event.slug, "starts_at": _iso(event.starts_at)}


def paddle_ids_of(user: Any) -> set[Any]:
    """The bidder numbers that are this person's (see the module docstring)."""
    held = set(Guest.objects.filter(user=user, paddle__isnull=False).values_list("paddle_id", flat=True))
    party = set(Paddle.objects.filter(registration__user=user).values_list("pk", flat=True))
    held_by_others = set(
        Guest.objects.filter(paddle_id__in=party, user__isnull=False)
        .exclude(user=user)
        .values_list("paddle_id", flat=True)
    )
    return held | (party - held_by_others)


def _own_rows(user: Any, paddles: set[Any]) -> Q:
    return Q(user=user) | Q(user__isnull=True, paddle_id__in=paddles)


@export_section("profile")
def export_profile(user: Any) -> dict[str, Any]:
    return {
        "id": str(user.pk),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "address_line1": user.address_line1,
        "address_line2": user.address_line2,
        "city": user.city,
        "state": user.state,
        "postal_code": user.postal_code,
        "country": user.country,
        "organization": user.organization,
        "social_links": user.social_links,
        "profile_picture": user.profile_picture.name or None,
        "email_verified_at": _iso(user.email_verified_at),
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "accepted_terms_version": user.consent_terms_version or None,
        "accepted_privacy_version": user.consent_privacy_version or None,
    }


@export_section("memberships")
def export_memberships(user: Any) -> list[dict[str, Any]]:
    rows = Membership.objects.filter(user=user).select_related("npo").order_by("created_at")
    return [
        {
            "npo": {"id": str(m.npo_id), "name": m.npo.name},
            "role": m.role,
            "status": m.status,
            "created_at": _iso(m.created_at),
        }
        for m in rows
    ]


def _guest(guest: Any) -> dict[str, Any]:
    return {
        "first_name": guest.first_name,
        "last_name": guest.last_name,
        "email": guest.email,
        "phone": guest.phone,
        "is_registrant": guest.is_registrant,
        "meal": guest.food_option.name if guest.food_option_id else None,
        "table": guest.table.number if guest.table_id else None,
        "bidder_number": guest.paddle.number if guest.paddle_id else None,
        "checked_in_at": _iso(guest.checked_in_at),
    }


@export_section("registrations")
def export_registrations(user: Any) -> list[dict[str, Any]]:
    guests = Guest.objects.select_related("food_option", "table", "paddle").order_by("-is_registrant", "created_at")
    owned = (
        Registration.objects.filter(user=user)
        .select_related("event")
        .prefetch_related(Prefetch("guests", queryset=guests))
        .order_by("created_at")
    )
    result = [
        {
            "role": "registrant",
            "event": _event(r.event),
            "code": r.code,
            "status": r.status,
            "source": r.source,
            "notes": r.notes,
            "created_at": _iso(r.created_at),
            "cancelled_at": _iso(r.cancelled_at),
            "guests": [_guest(g) for g in r.guests.all()],
        }
        for r in owned
    ]
    as_guest = guests.filter(user=user).exclude(registration__user=user).select_related("registration__event")
    result += [
        {
            "role": "guest",
            "event": _event(g.registration.event),
            "code": g.registration.code,
            "status": g.registration.status,
            "created_at": _iso(g.created_at),
            "guests": [_guest(g)],
        }
        for g in as_guest
    ]
    return result


@export_section("paddles")
def export_paddles(user: Any) -> list[dict[str, Any]]:
    rows = Paddle.objects.filter(pk__in=paddle_ids_of(user)).select_related("event").order_by("created_at")
    return [{"event": _event(p.event), "bidder_number": p.number, "created_at": _iso(p.created_at)} for p in rows]


def _item(item: Any) -> dict[str, Any]:
    return {"id": str(item.pk), "number": item.number, "title": item.title, "event": item.event.name}


@export_section("bids")
def export_bids(user: Any) -> list[dict[str, Any]]:
    rows = (
        Bid.objects.filter(_own_rows(user, paddle_ids_of(user)))
        .select_related("item__event", "paddle")
        .order_by("created_at", "position")
    )
    return [
        {
            "item": _item(b.item),
            "bidder_number": b.paddle.number,
            "amount": b.amount,
            "max_amount": b.max_amount,
            "automatic": b.automatic,
            "entered_by_clerk": b.entered_by_id is not None,
            "created_at": _iso(b.created_at),
        }
        for b in rows
    ]


@export_section("purchases")
def export_purchases(user: Any) -> list[dict[str, Any]]:
    rows = (
        Purchase.objects.filter(_own_rows(user, paddle_ids_of(user)))
        .select_related("item__event", "paddle")
        .order_by("created_at")
    )
    return [
        {
            "item": _item(p.item),
            "bidder_number": p.paddle.number,
            "quantity": p.quantity,
            "unit_price": p.unit_price,
            "amount": p.amount,
            "created_at": _iso(p.created_at),
        }
        for p in rows
    ]


@export_section("sales")
def export_sales(user: Any) -> list[dict[str, Any]]:
    rows = (
        Sale.objects.filter(paddle_id__in=paddle_ids_of(user))
        .select_related("item__event", "paddle")
        .order_by("created_at")
    )
    return [
        {
            "item": _item(s.item),
            "bidder_number": s.paddle.number,
            "amount": s.amount,
            "undone_at": _iso(s.undone_at),
            "created_at": _iso(s.created_at),
        }
        for s in rows
    ]


@export_section("pledges")
def export_pledges(user: Any) -> list[dict[str, Any]]:
    rows = (
        Pledge.objects.filter(_own_rows(user, paddle_ids_of(user)))
        .select_related("event", "paddle")
        .order_by("created_at")
    )
    return [
        {
            "event": _event(p.event),
            "bidder_number": p.paddle.number,
            "amount": p.amount,
            "source": p.source,
            "undone_at": _iso(p.undone_at),
            "created_at": _iso(p.created_at),
        }
        for p in rows
    ]


@export_section("consents")
def export_consents(user: Any) -> list[dict[str, Any]]:
    rows = ConsentRecord.objects.filter(user=user).order_by("created_at", "id")
    return [
        {
            "action": r.action,
            "document_type": r.document_type or None,
            "version": r.version or None,
            "choices": r.choices or None,
            "ip_address": r.ip_address,
            "user_agent": r.user_agent,
            "created_at": _iso(r.created_at),
        }
        for r in rows
    ]


@export_section("cookie_preferences")
def export_cookie_preferences(user: Any) -> dict[str, Any] | None:
    row = CookiePreference.objects.filter(user=user).first()
    if row is None:
        return None
    return {
        "essential": True,
        "analytics": row.analytics,
        "marketing": row.marketing,
        "updated_at": _iso(row.updated_at),
    }


@export_section("audit")
def export_audit(user: Any) -> list[dict[str, Any]]:
    rows = AuditEntry.objects.filter(actor=user).order_by("created_at", "id")
    return [
        {
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object": e.object_repr,
            "ip_address": e.ip_address,
            "details": e.details,
            "created_at": _iso(e.created_at),
        }
        for e in rows
    ]


def privacy_export_data(user: Any) -> dict[str, Any]:
    """The whole export of ``user``: every section of :data:`apps.legal.hooks.SECTION_NAMES` (and
    any an app added), each from its registered provider or empty."""
    data: dict[str, Any] = {"format": EXPORT_FORMAT, "generated_at": timezone.now().isoformat()}
    for name, provider in export_sections().items():
        data[name] = provider(user) if provider is not None else []
    return data
