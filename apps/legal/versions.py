"""Document versions: parsing ``MAJOR.MINOR`` and the per-process memo of the current versions.

The consent gate runs on every authenticated API call, so what it needs must cost nothing on the hot
path: the user's accepted versions are columns of the user row the authentication already loaded,
and the current published versions are memoised here per process for ``AUGEO_LEGAL_CACHE_SECONDS``
(default 10). A publish in this process invalidates the memo at once (and again at commit); other
processes see the new version within that many seconds. Endpoints that *record* consent read the
database, never the memo.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.legal.models import DocumentStatus, LegalDocument

_VERSION = re.compile(r"^(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})$")
VERSION_HELP = "Use MAJOR.MINOR, numbers without leading zeros, e.g. 1.0 or 2.13."


@dataclass(frozen=True, order=True)
class Version:
    """A document version; compared numerically (1.10 > 1.9). A new MAJOR needs a new consent."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def parse_version(text: Any) -> Version:
    """``"2.13"`` → ``Version(2, 13)``; anything else (``"1"``, ``"1.2.3"``, ``"a.b"``, ``"1.02"``,
    a number) raises ``ValueError``."""
    match = _VERSION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(VERSION_HELP)
    return Version(int(match.group(1)), int(match.group(2)))


def version_or_none(text: str | None) -> Version | None:
    """A stored version (the user's accepted one), ``None`` when empty or unreadable."""
    if not text:
        return None
    try:
        return parse_version(text)
    except ValueError:
        return None


# --- the memo of the current published versions ----------------------------------------------------


class _Memo:
    """``{type: Version}`` of the published documents, valid until ``expires`` (monotonic)."""

    def __init__(self) -> None:
        self.value: dict[str, Version] | None = None
        self.expires = 0.0
        self.lock = threading.Lock()


_memo = _Memo()


def _ttl() -> float:
    return float(getattr(settings, "AUGEO_LEGAL_CACHE_SECONDS", 10))


def _load() -> dict[str, Version]:
    rows = LegalDocument.objects.filter(status=DocumentStatus.PUBLISHED).values_list("type", "major", "minor")
    return {type_: Version(major, minor) for type_, major, minor in rows}


def current_versions() -> dict[str, Version]:
    """The published version of each type that has one (``{}`` on a fresh database), memoised."""
    value, expires = _memo.value, _memo.expires
    if value is not None and time.monotonic() < expires:
        return value
    with _memo.lock:
        if _memo.value is not None and time.monotonic() < _memo.expires:
            return _memo.value
        value = _load()
        _memo.value, _memo.expires = value, time.monotonic() + _ttl()
        return value


def versions_invalidate() -> None:
    """Forget the memo (a publish); the next gate check reads the database."""
    with _memo.lock:
        _memo.value, _memo.expires = None, 0.0


def versions_prime(value: dict[str, Version], *, seconds: float) -> None:
    """Set the memo to a known value (tests: a fresh database has no published documents)."""
    with _memo.lock:
        _memo.value, _memo.expires = dict(value), time.monotonic() + seconds
