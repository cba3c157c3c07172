from __future__ import annotations

import factory

from apps.npos.capabilities import Role
from apps.npos.models import NPO, Membership, NPOStatus
from apps.users.tests.factories import UserFactory


class NPOFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NPO

    name = factory.Sequence(lambda n: f"Helping Hands {n}")
    description = "We help."
    email = factory.Sequence(lambda n: f"npo{n}@example.org")
    phone = "+14155550100"
    tax_id = factory.Sequence(lambda n: f"12-34567{n:02d}")
    address_line1 = "1 Main St"
    city = "Springfield"
    postal_code = "12345"
    country = "US"
    status = NPOStatus.APPROVED


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    npo = factory.SubFactory(NPOFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ADMIN
