"""Lower-casing that keeps every character at its offset."""

from __future__ import annotations


def lower_same_length(text: str) -> str:
    """``text.lower()``, except characters whose lower case is longer (``"İ"``) stay as they are.

    Detectors search the lower-cased text and use the offsets in the original text, so
    both must have the same length.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)
