"""Capability declarations live in each app's ``permissions.py``: the API views point
at those maps and the admin reads the same ones, so the admin never imports an API views module."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[3]
URL_MODULES = {"urls.py", "api_urls.py", "pages_urls.py"}


def _outside_the_api() -> list[Path]:
    """Every project module that is not part of an API package, a URL conf or a test: the admin,
    its pages, services, selectors."""
    paths = [*(ROOT / "apps").rglob("*.py"), *(ROOT / "augeo").rglob("*.py")]
    return [
        p
        for p in paths
        if not {"tests", "migrations", "api"} & set(p.relative_to(ROOT).parts) and p.name not in URL_MODULES
    ]


def _imports_api_views(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.endswith(".api.views")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.endswith(".api.views"):
                found.append(node.module)
            elif node.module.endswith(".api"):
                found += [f"{node.module}.views" for a in node.names if a.name == "views"]
    return found


def test_the_scan_sees_the_admin_modules():
    names = {str(p.relative_to(ROOT)) for p in _outside_the_api()}
    assert {"apps/auctions/admin.py", "apps/checkout/admin.py", "apps/attendance/desk.py"} <= names


def test_no_admin_module_imports_an_api_views_module():
    offenders = {str(p.relative_to(ROOT)): names for p in _outside_the_api() if (names := _imports_api_views(p))}
    assert offenders == {}


def test_the_import_check_catches_both_spellings(tmp_path: Path):
    module = tmp_path / "admin.py"
    module.write_text("from apps.auctions.api.views import ItemViewSet\nfrom apps.checkout.api import views\n")
    assert _imports_api_views(module) == ["apps.auctions.api.views", "apps.checkout.api.views"]


def _view_classes(patterns: list[Any]) -> Iterator[type]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _view_classes(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            if cls is not None:
                yield cls


def test_every_declared_capability_map_is_one_of_its_apps_permissions():
    """A view's non-empty ``capabilities`` is a named map of its app's ``permissions.py`` (the same
    object), never a literal written on the view."""
    views = {cls for cls in _view_classes(get_resolver().url_patterns) if cls.__module__.startswith("apps.")}
    declaring = [cls for cls in views if getattr(cls, "capabilities", None)]
    assert len(declaring) >= 20  # the scan sees the API's views
    offenders = []
    for cls in declaring:
        app = cls.__module__.split(".")[1]
        maps = vars(importlib.import_module(f"apps.{app}.permissions")).values()
        if not any(cls.capabilities is m for m in maps):
            offenders.append(f"{cls.__module__}.{cls.__qualname__}")
    assert offenders == []
