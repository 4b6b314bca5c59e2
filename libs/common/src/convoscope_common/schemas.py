"""JSON Schema of msgspec Structs, rendered the same way whatever the msgspec version.

msgspec 0.22 cleaned docstrings (``inspect.cleandoc``) before using them as
descriptions; 0.23 keeps their indentation. The committed documents
(``docs/results-schema.json``, ``docs/openapi.json``) must not change with a
dependency release, so every description is cleaned here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import msgspec


def schema_components(
    types: Iterable[Any],
    ref_template: str,
    schema_hook: Callable[[type], dict[str, Any]] | None = None,
) -> tuple[tuple[dict[str, Any], ...], dict[str, Any]]:
    """``msgspec.json.schema_components`` with every ``description`` cleaned like a docstring."""
    schemas, components = msgspec.json.schema_components(
        types, schema_hook=schema_hook, ref_template=ref_template
    )
    return tuple(_clean(s) for s in schemas), _clean(components)


def _clean(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else _clean(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_clean(item) for item in node]
    return node
