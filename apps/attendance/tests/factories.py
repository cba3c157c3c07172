"""Factories for attendance tests (and a minimal published event, so these tests need nothing from the
events app's test package)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from apps.attendance.models import Guest, Paddle, Registration, Table
from apps.attendance.services.common import CODE_ALPHABET
from apps.events.models import Event, EventStatus, FoodOption
from apps.npos.tests.factories import NPOFactory
from apps.users.tests.factories import UserFactory


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    npo = factory.SubFactory(NPOFactory)
    name = factory.Sequence(lambda n: f"Spring Gala {n}")
    slug = factory.Sequence(lambda n: f"attendance-gala-{n}")
    status = EventStatus.PUBLISHED
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=5))


class FoodOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FoodOption

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Meal {n}")


def _code(n: int) -> str:
    return "".join(CODE_ALPHABET[(n // len(CODE_ALPHABET) ** i) % len(CODE_ALPHABET)] for i in range(6))


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    code = factory.Sequence(_code)

    @factory.post_generation
    def registrant(obj: Registration, create: bool, extracted: object, **kwargs: object) -> None:
        """Every registration has its registrant guest (pass ``registrant=False`` to skip)."""
        if not create or extracted is False:
            return
        user = obj.user
        Guest.objects.create(
            registration=obj,
            event=obj.event,
            user=user,
            first_name=user.first_name if user else "Walk",
            last_name=user.last_name if user else "In",
            email=user.email if user else "",
            is_registrant=True,
        )


class GuestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guest

    registration = factory.SubFactory(RegistrationFactory)
    event = factory.LazyAttribute(lambda o: o.registration.event)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"guest{n}@example.net")


class TableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Table

    event = factory.SubFactory(EventFactory)
    number = factory.Sequence(lambda n: n + 1)
    capacity = 8


class PaddleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paddle

    event = factory.SubFactory(EventFactory)
    number = factory.Sequence(lambda n: 500 + n)
