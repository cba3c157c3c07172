"""The users app's extension points (apps.users.hooks) are filled by a complete installation, and
work as the apps above expect: the sign-up's terms come from apps.legal, the profile's memberships
from apps.npos. A missing registration must fail here, not sign people up without their consent."""

from __future__ import annotations

import pytest

from apps.legal.services.consent import SignUpConsent
from apps.npos.selectors import membership_summaries
from apps.users import hooks


def test_every_users_hook_is_registered():
    hooks.check()
    assert isinstance(hooks.signup_terms(), SignUpConsent)
    assert hooks._memberships == [membership_summaries]


def test_without_providers_nothing_is_asked_and_no_membership_listed(monkeypatch):
    monkeypatch.setattr(hooks, "_signup_terms", [])
    monkeypatch.setattr(hooks, "_memberships", [])
    with pytest.raises(Exception, match="signup_terms, memberships"):
        hooks.check()
    terms = hooks.signup_terms()
    assert terms.current() == {} and terms.check({"terms": None}, fields={"terms": "t"}) is None
    assert hooks.membership_summaries(object()) == []
