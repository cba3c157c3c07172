"""The house's layering, checked on the source (issue 10 item 4): ``apps/core`` imports no domain app,
and no module finds another through ``importlib`` (a renamed module must fail loudly, at import)."""

from __future__ import annotations

import ast
from pathlib import Path

APPS = Path(__file__).resolve().parents[2]
DOMAIN_APPS = sorted(p.name for p in APPS.iterdir() if (p / "apps.py").exists() and p.name != "core")


def _sources(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_the_domain_apps_are_found():
    assert {"users", "npos", "events", "attendance", "auctions"} <= set(DOMAIN_APPS)


def test_core_imports_no_domain_app():
    offenders = [
        f"{path.relative_to(APPS)}: {name}"
        for path in _sources(APPS / "core")
        for name in _imported_modules(path)
        if name.split(".")[:2] in (["apps", app] for app in DOMAIN_APPS)
    ]
    assert offenders == []


def test_no_module_imports_through_importlib():
    offenders = [str(path.relative_to(APPS)) for path in _sources(APPS) if "importlib" in _imported_modules(path)]
    assert offenders == []  # other apps plug into events through apps.events.hooks
