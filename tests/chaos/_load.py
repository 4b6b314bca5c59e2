"""Load ``bench/chaos.py`` (the chaos suite's code lives with the benchmarks)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "chaos.py"


def chaos() -> ModuleType:
    """The ``bench/chaos.py`` module."""
    spec = importlib.util.spec_from_file_location("chaos_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
