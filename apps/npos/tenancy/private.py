"""Which fields of the domain's models are private, and who may see them in a form: the table that
:mod:`apps.core.admin_lookups` enforces in every admin (no filter, search, sort or column on them;
registered in ``NposConfig.ready``) and that the API reads for the same fields.

Here, not in core, because it names capabilities (:mod:`apps.npos.capabilities`); the models are
named by label, so npos imports none of the apps above it.
"""

from __future__ import annotations

from apps.npos.capabilities import Capability

#: Fields that hold what bidders and sponsors keep private, per model label, with the capability
#: needed to see them in a form (``None``: nobody, super admins included — bidding.md rule 6 says a
#: maximum is private to its bidder). No admin may filter, search, sort or list by any of them, for
#: anyone: a filter or a sort order answers questions about the value without showing it
#: (``?leader_max__gte=700``, then 650, 675 …). The sponsor fields follow the API
#: (``SponsorSerializer.PRIVATE_FIELDS``: ``events.manage`` only).
PRIVATE_FIELDS: dict[str, dict[str, str | None]] = {
    "auctions.Item": {"leader_max": None, "reserve": Capability.EVENTS_MANAGE},
    "auctions.Bid": {"max_amount": None},
    "events.Sponsor": {
        "donation_amount": Capability.EVENTS_MANAGE,
        "contact_name": Capability.EVENTS_MANAGE,
        "contact_email": Capability.EVENTS_MANAGE,
        "contact_phone": Capability.EVENTS_MANAGE,
    },
}
