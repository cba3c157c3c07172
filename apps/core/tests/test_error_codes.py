"""Error codes are one enum: raise sites name :class:`ErrorCode` members, never string
literals, and every member is documented (docs/product/api.md, "Every code")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict

ROOT = Path(__file__).resolve().parents[3]
CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
#: Constructors that take the code as their first argument.
RAISERS = ("Error", "Conflict", "Failed", "Denied", "Found", "Gone", "Required", "Throttled", "Unavailable")


def _literal_codes(source: str, filename: str = "<test>") -> list[str]:
    """``line: code`` for every string literal used as an error code: the first argument of an
    exception (or ``error_body``), a ``code=`` keyword, a ``default_code =`` class attribute."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        candidates: list[ast.expr] = []
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if node.args and (name.endswith(RAISERS) or name in ("error_body", "ValidationFailed", "__init__")):
                candidates.append(node.args[0])
            candidates += [kw.value for kw in node.keywords if kw.arg == "code"]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("default_code", "code") for t in node.targets
        ):
            candidates.append(node.value)
        found += [
            f"{c.lineno}: {c.value}"
            for c in candidates
            if isinstance(c, ast.Constant) and isinstance(c.value, str) and CODE.match(c.value)
        ]
    return found


def _sources() -> list[Path]:
    paths = [*(ROOT / "apps").rglob("*.py"), *(ROOT / "augeo").rglob("*.py")]
    return [p for p in paths if not {"tests", "migrations"} & set(p.relative_to(ROOT).parts)]


def test_no_raise_site_spells_a_code_as_a_string():
    offenders = {
        str(p.relative_to(ROOT)): codes for p in _sources() if (codes := _literal_codes(p.read_text(), str(p)))
    }
    assert offenders == {}, "name an ErrorCode member (apps/core/errors.py) instead"


def test_the_scan_catches_literal_codes():
    source = (
        'raise Conflict("BID_TOO_LOW", "x")\n'
        'raise AuthenticationFailed("x", code="INVALID_CREDENTIALS")\n'
        'class E(DomainError):\n    default_code = "SOMETHING_NEW"\n'
        "raise Conflict(ErrorCode.BID_TOO_LOW, 'fine')\n"
    )
    assert _literal_codes(source) == ["1: BID_TOO_LOW", "2: INVALID_CREDENTIALS", "4: SOMETHING_NEW"]


def test_every_code_is_its_own_name():
    assert all(member.value == member.name for member in ErrorCode)


def test_every_code_is_documented_in_the_api_page():
    readme = (ROOT / "docs" / "product" / "api.md").read_text()
    assert [m.value for m in ErrorCode if f"`{m.value}`" not in readme] == []


@pytest.mark.django_db
def test_the_envelope_carries_the_plain_code(api_client):
    from apps.core.api.exceptions import error_parts

    status, body, _ = error_parts(Conflict(ErrorCode.BID_TOO_LOW, "Too low."))
    assert (status, body["error"]["code"]) == (409, "BID_TOO_LOW")
    assert type(body["error"]["code"]) in (str, ErrorCode) and str(body["error"]["code"]) == "BID_TOO_LOW"
