"""Loading the bench's export generators and collecting the texts of export-shaped JSON,
for the equality tests of the text scorers and of the personal-data scan."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]

# Keys that hold message text in the claude.ai and ChatGPT shapes and in the fixtures.
MESSAGE_KEYS = frozenset({"text", "parts", "user", "prev", "next", "before", "extracted_content"})


def bench_module(name: str) -> ModuleType:
    """``bench/<name>.py`` loaded as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_generator() -> ModuleType:
    """bench/generate_export.py, the generator of large realistic exports."""
    return bench_module("generate_export")


def strings(value: Any, keys: frozenset[str] = MESSAGE_KEYS) -> Iterator[str]:
    """Every string under ``keys`` (a string, or the strings of a list), at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in keys:
                if isinstance(item, str):
                    yield item
                elif isinstance(item, list):
                    yield from (part for part in item if isinstance(part, str))
            yield from strings(item, keys)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, keys)
