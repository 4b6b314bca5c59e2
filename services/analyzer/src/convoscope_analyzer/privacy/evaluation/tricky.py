"""Hand-written tricky cases: a JSON-lines file of ``{"text", "pii": [[type, value], ...]}``."""

from __future__ import annotations

from pathlib import Path

import msgspec

from convoscope_analyzer.privacy.evaluation.labelled import LabelledSpan, LabelledText


class _TrickyCase(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    pii: list[tuple[str, str]] = []
    note: str = ""


class TrickyCaseError(ValueError):
    """A tricky case names a value that does not occur in its text."""


def parse_tricky_cases(data: bytes) -> list[LabelledText]:
    """Parse the JSON-lines content; every occurrence of a listed value is labelled."""
    decoder = msgspec.json.Decoder(_TrickyCase)
    examples: list[LabelledText] = []
    for lineno, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        case = decoder.decode(line)
        spans: list[LabelledSpan] = []
        for entity_type, value in case.pii:
            start = case.text.find(value)
            if start < 0:
                raise TrickyCaseError(f"line {lineno}: a labelled value is not in the text")
            while start >= 0:
                spans.append(LabelledSpan(entity_type, start, start + len(value)))
                start = case.text.find(value, start + len(value))
        examples.append(LabelledText(case.text, spans, f"tricky:{lineno}"))
    return examples


def load_tricky_cases(path: Path) -> list[LabelledText]:
    """Read a tricky-cases file (I/O at the edge; parsing is :func:`parse_tricky_cases`)."""
    return parse_tricky_cases(path.read_bytes())
