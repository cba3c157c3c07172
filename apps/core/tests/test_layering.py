"""The house's layering, checked on the source.

The layers are import-linter's contracts in setup.cfg (README.md "Layers"): core → users → npos →
events → attendance → auctions → checkout → legal → live, the project package (augeo, with the back
office) on top; only apps.live imports Channels. ``make lint`` runs the same check; running it here
too makes ``make test`` (and CI) fail on an upward import — one written inside a function included.
No module finds another through ``importlib`` either (a renamed module must fail loudly, at import).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APPS = Path(__file__).resolve().parents[2]
ROOT = APPS.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


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


def test_the_import_contracts_hold():
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "setup.cfg"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contract_names_every_app():
    """A new app must be placed in the layers (setup.cfg), not left out of the contract."""
    apps = {p.name for p in APPS.iterdir() if (p / "apps.py").exists()}
    config = (ROOT / "setup.cfg").read_text()
    layers = config.split("[importlinter:contract:layers]", 1)[1].split("ignore_imports", 1)[0]
    assert {f"apps.{name}" for name in apps} <= {line.strip() for line in layers.splitlines()}


def test_no_module_imports_through_importlib():
    offenders = [str(path.relative_to(APPS)) for path in _sources(APPS) if "importlib" in _imported_modules(path)]
    assert offenders == []  # other apps plug into a lower one through its hooks or signals
