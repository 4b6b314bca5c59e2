"""What ``convoscope analyze`` was asked to do, validated before any work starts."""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from convoscope_cli.errors import UsageError
from convoscope_common.options import ExportFilter, export_filter_problem

FORMATS: tuple[str, ...] = ("html", "xlsx", "pdf", "csv", "json")
DEFAULT_FORMATS: tuple[str, ...] = ("html", "xlsx", "pdf", "csv", "json")
# Filter fields that hold lists (``--filter roles=user,assistant``).
_LIST_FIELDS = {"topics", "roles", "models", "sentiment", "conversation_ids"}
_DATE_FIELDS = {"date_from", "date_to"}


@dataclass
class AnalyzeRequest:
    """The validated options of one ``analyze`` run."""

    export: Path
    out_dir: Path
    formats: list[str]
    timezone: str = "UTC"
    include_pii: bool = False
    filter: dict[str, object] = field(default_factory=dict)
    server: str | None = None
    api_key: str | None = None
    jobs: int = 1


def parse_formats(raw: str) -> list[str]:
    """``"html,pdf"`` -> ``["html", "pdf"]`` (order kept, duplicates dropped)."""
    wanted = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not wanted:
        raise UsageError("--format needs at least one of " + ", ".join(FORMATS))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r}; use any of {', '.join(FORMATS)}")
    return list(dict.fromkeys(wanted))


def check_timezone(name: str) -> str:
    """The IANA name itself, or :class:`UsageError` (the API answers 422 for the same)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown timezone {name!r}; use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from None
    return name


def parse_filter(items: list[str]) -> dict[str, object]:
    """Build the export filter from ``--filter`` arguments.

    Each item is ``KEY=VALUE`` (lists comma-separated, e.g. ``roles=user``), a JSON
    object, or ``@path`` of a JSON file. The result is checked exactly as the API checks
    ``options.filter`` and returned as plain JSON data.
    """
    merged: dict[str, object] = {}
    for item in items:
        merged.update(_filter_item(item))
    try:
        flt = msgspec.convert(merged, ExportFilter)
    except msgspec.ValidationError as exc:
        raise UsageError(f"--filter: {exc}") from None
    problem = export_filter_problem(flt)
    if problem is not None:
        raise UsageError(f"--filter: {problem}")
    data = msgspec.to_builtins(flt)
    assert isinstance(data, dict)
    return data


def _filter_item(item: str) -> dict[str, object]:
    text = item.strip()
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--filter: cannot read {text[1:]!r}: {exc.strerror}") from None
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--filter: not a JSON object: {exc.msg}") from None
        if not isinstance(value, dict):
            raise UsageError("--filter: not a JSON object")
        return value
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or key not in _LIST_FIELDS | _DATE_FIELDS:
        raise UsageError(
            f"--filter: expected KEY=VALUE with KEY one of "
            f"{', '.join(sorted(_LIST_FIELDS | _DATE_FIELDS))}, got {item!r}"
        )
    if key in _LIST_FIELDS:
        return {key: [part.strip() for part in value.split(",") if part.strip()]}
    return {key: value.strip()}
