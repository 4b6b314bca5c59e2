"""Loading the bench's export generators and collecting the texts of export-shaped JSON,
for the equality tests of the text scorers and of the personal-data scan."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

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


def cue_fragments() -> list[str]:
    """Sentences in every cue language: the cue files' examples and counter-examples and
    the complaint and multilingual fixtures' turns (what the detectors are tuned on and
    against)."""
    from convoscope_analyzer.engine.cues import cue_file_paths

    found: list[str] = []
    for path in cue_file_paths():
        stack = [tomllib.loads(path.read_text(encoding="utf-8"))]
        while stack:
            table = stack.pop()
            for key, value in table.items():
                if isinstance(value, dict):
                    stack.append(value)
                elif key in ("examples", "counter_examples"):
                    found.extend(value)
    for path in sorted((DATA / "complaints").glob("*.jsonl")) + sorted(
        (DATA / "multilingual").glob("*.jsonl")
    ):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found.extend(row[k] for k in ("before", "prev", "user", "next") if row.get(k))
    return found
