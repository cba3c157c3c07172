"""apps.live hears every domain event of the auctions app (apps.auctions.signals): a signal added
there without a receiver here would silently never reach the room."""

from __future__ import annotations

from django.dispatch import Signal

from apps.auctions import signals
from apps.live.receivers import RECEIVERS


def test_every_auctions_signal_has_a_live_receiver_connected():
    declared = {name: value for name, value in vars(signals).items() if isinstance(value, Signal)}
    assert set(declared.values()) == set(RECEIVERS)
    for name, signal in declared.items():
        uids = {lookup_key[0] for lookup_key, *_ in signal.receivers}
        assert f"live.{name}" in uids, name
