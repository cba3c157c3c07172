"""MAJOR.MINOR parsing and the per-process memo of the current versions."""

from __future__ import annotations

import pytest

from apps.legal import versions
from apps.legal.tests.factories import published
from apps.legal.versions import Version, current_versions, parse_version, versions_invalidate, versions_prime


@pytest.mark.parametrize(
    "text", ["1", "1.2.3", "a.b", "1.02", "01.2", "", " 1.0", "1.0 ", "-1.0", "1.", ".1", "12345.0"]
)
def test_versions_that_do_not_parse(text):
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR"):
        parse_version(text)


@pytest.mark.parametrize("value", [1, 1.0, None, ["1.0"]])
def test_non_strings_do_not_parse(value):
    with pytest.raises(ValueError):
        parse_version(value)


def test_versions_compare_numerically():
    assert parse_version("1.10") > parse_version("1.9")
    assert parse_version("2.0") > parse_version("1.99")
    assert str(parse_version("0.3")) == "0.3"


@pytest.mark.django_db
def test_memo_reads_the_database_once_until_invalidated(django_assert_num_queries):
    versions_invalidate()
    with django_assert_num_queries(1):
        assert current_versions() == {}
        assert current_versions() == {}
    published("terms", "2.1")  # the service drops the memo
    with django_assert_num_queries(1):
        assert current_versions() == {"terms": Version(2, 1)}
        assert current_versions() == {"terms": Version(2, 1)}


@pytest.mark.django_db
def test_memo_expires(settings, django_assert_num_queries):
    settings.AUGEO_LEGAL_CACHE_SECONDS = 0
    versions_invalidate()
    with django_assert_num_queries(2):
        current_versions()
        current_versions()
    versions_prime({"terms": Version(1, 0)}, seconds=60)
    with django_assert_num_queries(0):
        assert current_versions() == {"terms": Version(1, 0)}
    assert versions._memo.value == {"terms": Version(1, 0)}
