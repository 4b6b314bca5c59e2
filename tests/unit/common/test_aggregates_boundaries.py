"""The shared aggregates stand alone: one code path for the engine and the exporter.

``convoscope_common.aggregates`` may import neither service, the exporter may not
import the analyzer (they are separate packages), and both services must reach the
aggregates through the shared package rather than keep copies of their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
AGGREGATES = ROOT / "libs/common/src/convoscope_common/aggregates"
EXPORTER = ROOT / "services/exporter/src/convoscope_exporter"
ENGINE = ROOT / "services/analyzer/src/convoscope_analyzer/engine"


def _imports(folder: Path) -> dict[str, set[str]]:
    """Module file -> top-level-qualified names it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_the_aggregates_import_neither_service():
    for module, names in _imports(AGGREGATES).items():
        bad = {n for n in names if n.startswith(("convoscope_analyzer", "convoscope_exporter"))}
        assert not bad, (module, bad)


def test_the_exporter_does_not_import_the_analyzer():
    for module, names in _imports(EXPORTER).items():
        assert not {n for n in names if n.startswith("convoscope_analyzer")}, module


def test_both_services_call_the_shared_aggregates():
    exporter = set().union(*_imports(EXPORTER).values())
    engine = set().union(*_imports(ENGINE).values())
    for shared in (
        "convoscope_common.aggregates.prepared",
        "convoscope_common.aggregates.summary",
        "convoscope_common.aggregates.temporal",
        "convoscope_common.aggregates.sections",
    ):
        assert shared in exporter, shared
        assert shared in engine, shared
