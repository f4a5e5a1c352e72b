"""The architecture's one-way arrows: sources never import the demo or the product."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
        ):
            text = ast.unparse(node.args[0])
            found.add(text.strip("f\"'"))
    return found


def _offenders(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    offenders: dict[str, list[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = sorted(
            name
            for name in _imported_modules(path)
            if any(name == top or name.startswith(f"{top}.") for top in forbidden)
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    return offenders


def test_sources_import_neither_the_demo_nor_the_product():
    assert _offenders("ingest", ("gtm_demo", "gtm", "starlette", "uvicorn")) == {}


def test_demo_does_not_import_the_product():
    assert _offenders("gtm_demo", ("gtm",)) == {}


def test_the_check_sees_an_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import gtm_demo.servers\nfrom gtm.ops import runs\n", encoding="utf-8")
    assert _imported_modules(module) == {"gtm_demo.servers", "gtm.ops"}
