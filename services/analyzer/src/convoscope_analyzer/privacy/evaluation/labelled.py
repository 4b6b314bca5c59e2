"""Labelled texts: the ground truth the detector is scored against."""

from __future__ import annotations

import msgspec


class LabelledSpan(msgspec.Struct, frozen=True):
    """``text[start:end]`` is a true value of ``entity_type``."""

    entity_type: str
    start: int
    end: int


class LabelledText(msgspec.Struct, frozen=True):
    """One example: a text, its true PII spans, and the template it came from."""

    text: str
    spans: list[LabelledSpan]
    source: str = ""
