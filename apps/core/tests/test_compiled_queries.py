"""Every compiled query of the project answers exactly what its queryset answers.

``apps.core.compiled.REGISTRY`` holds each ``CompiledQuery``; :data:`CASES` gives each one the
values (and shapes) to compare on a small world that has a row for every branch: a member and a
non-member, a draft and a public event, a leader and an outbid bidder, a guest search by words, by
registration code and by bidder number. A compiled query without a case fails the test, so a new
one cannot skip its comparison. It runs on whichever database the suite runs on (CI: both).
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from typing import Any

import pytest
from django.db import models, transaction

from apps.attendance.tests.factories import GuestFactory
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.tests.factories import ItemFactory, bidder, register
from apps.core.compiled import REGISTRY, CompiledQuery
from apps.events.tests.factories import EventFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    item = ItemFactory()
    event = item.event
    a = bidder(event, 101, checked_in=True)
    b = bidder(event, 102)
    bid_place(context=bid_context(a, item), amount="100", max_amount="300")
    bid_place(context=bid_context(b, item), amount="150")
    other_item = ItemFactory(event=event)
    member = UserFactory()
    MembershipFactory(npo=event.npo, user=member, role="cashier")
    draft = EventFactory(npo=event.npo)
    walk_in = GuestFactory(registration=a.guest.registration, first_name="Zoë", last_name="Hopper")
    nobody = register(event).user
    return {
        "item": item,
        "other_item": other_item,
        "event": event,
        "draft": draft,
        "a": a,
        "b": b,
        "member": member,
        "walk_in": walk_in,
        "nobody": nobody,
    }


def cases(w: dict[str, Any]) -> dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]]:
    """Per compiled query: ``(shape, values)`` pairs to compare."""
    event, item, a, b, member = w["event"], w["item"], w["a"], w["b"], w["member"]
    code = a.guest.registration.code
    nobody = uuid.uuid4()
    return {
        "users.user_by_pk": [((), {"pk": a.pk}), ((), {"pk": nobody})],
        "npos.role_of": [((), {"user": member.pk, "npo": event.npo_id}), ((), {"user": a.pk, "npo": event.npo_id})],
        "npos.membership_summaries": [((), {"user": member.pk}), ((), {"user": a.pk})],
        "events.event_for": [
            ((None, True), {"event": event.pk, "user": member.pk}),
            ((None, True), {"event": w["draft"].pk, "user": a.pk}),
            ((("id", "npo_id", "status"), False), {"event": event.pk, "user": nobody}),
        ],
        "attendance.registration_ids_by_code": [((), {"event": event.pk, "code": code})],
        "attendance.paddle_ids_by_number": [((), {"event": event.pk, "number": 102})],
        "attendance.guest_desk_page": [
            ((0, 25), {"event": event.pk, "words": [], "registrations": [], "paddles": []}),
            ((0, 2), {"event": event.pk, "words": ["HOP"], "registrations": [], "paddles": []}),
            ((1, 25), {"event": event.pk, "words": ["zo", "ë"], "registrations": [], "paddles": []}),
            (
                (0, 25),
                {
                    "event": event.pk,
                    "words": [code],
                    "registrations": [a.guest.registration_id],
                    "paddles": [b.guest.paddle_id],
                },
            ),
        ],
        "attendance.bidder_guest": [
            ((), {"event": event.pk, "user": a.pk}),
            ((), {"event": event.pk, "user": member.pk}),
        ],
        "attendance.lock_registration": [((), {"pk": a.guest.registration_id})],
        "attendance.lock_guest": [((), {"pk": a.guest.pk})],
        "attendance.lock_paddle": [((), {"pk": b.guest.paddle_id})],
        "auctions.bidder_overlay": [
            ((), {"user": a.pk, "items": [item.pk, w["other_item"].pk]}),
            ((), {"user": b.pk, "items": [item.pk]}),
        ],
        "auctions.item_for": [
            ((None, True), {"item": item.pk, "user": a.pk}),
            ((None, False, True), {"item": item.pk, "user": a.pk}),
            ((None, False, True), {"item": item.pk, "user": member.pk}),
            ((None, False), {"item": item.pk}),
            ((("id", "event_id", "status", "event__id", "event__npo_id"), False), {"item": item.pk}),
        ],
        "auctions.lock_item": [((), {"item": item.pk})],
        "auctions.lock_item_for_bid": [((), {"item": item.pk})],
    }


def state(row: Any) -> Any:
    """A row as comparable data: a model instance's field values and annotations, with the related
    rows ``select_related`` loaded, recursively."""
    if isinstance(row, models.Model):
        values = {k: v for k, v in row.__dict__.items() if not k.startswith("_")}
        related = {name: state(obj) for name, obj in row._state.fields_cache.items()}
        return (type(row).__name__, values, related)
    return row


def _import_every_module() -> None:
    """A compiled query registers itself when its module is imported: import them all."""
    import apps

    for module in pkgutil.walk_packages(apps.__path__, "apps."):
        if ".tests" in module.name or ".migrations" in module.name or ".management" in module.name:
            continue
        importlib.import_module(module.name)


def test_every_compiled_query_answers_as_its_queryset(world: dict[str, Any]) -> None:
    _import_every_module()
    table = cases(world)
    assert set(table) == set(REGISTRY) - {name for name in REGISTRY if name.startswith("test.")}, (
        "each compiled query needs a case here"
    )
    for name, runs in table.items():
        query: CompiledQuery[Any] = REGISTRY[name]
        for shape, values in runs:
            with transaction.atomic():  # the locks need one
                compiled = [state(row) for row in query.all(*shape, **values)]
                orm = [state(row) for row in query.queryset(*shape, **values)]
            assert compiled == orm, f"{name} {shape} {values}"
    desk = REGISTRY["attendance.guest_desk_page"].all(0, 2, event=world["event"].pk, words=["HOP"])
    assert desk and all(row["last_name"] == "Hopper" for row in desk)  # the case compares something
