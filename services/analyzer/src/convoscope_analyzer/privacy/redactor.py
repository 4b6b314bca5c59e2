"""``Redactor``: detect and replace, with placeholders consistent across a whole corpus."""

from __future__ import annotations

import hashlib

from convoscope_analyzer.privacy.config import PrivacyConfig
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.operators import mask, normalise, placeholder, pseudonym
from convoscope_analyzer.privacy.scanner import detect


class Redactor:
    """Redacts texts of one corpus; the same value always gets the same ``<TYPE_n>``.

    Use one instance per corpus. It remembers a digest of each value it numbered
    (never the value itself).
    """

    def __init__(self, config: PrivacyConfig) -> None:
        self.config = config
        self._operators = config.effective_operators()
        self._numbers: dict[str, dict[bytes, int]] = {}

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        """Return the redacted text and the detections (offsets into the ORIGINAL text)."""
        detections = self.detect(text)
        if not detections:
            return text, detections
        return self.apply(text, detections), detections

    def apply(self, text: str, detections: list[Detection]) -> str:
        """``text`` with ``detections`` (sorted, without overlaps: what :meth:`detect`
        gives) replaced, numbering the placeholders of new values."""
        parts: list[str] = []
        pos = 0
        for d in detections:
            operator = self._operators.get(d.entity_type, "replace")
            if operator == "keep":
                continue
            parts.append(text[pos : d.start])
            parts.append(self._replacement(d.entity_type, text[d.start : d.end], operator))
            pos = d.end
        parts.append(text[pos:])
        return "".join(parts)

    def detect(self, text: str) -> list[Detection]:
        """The detections in ``text`` under this corpus's settings (a subclass may supply
        detections computed elsewhere, e.g. in parallel, instead)."""
        return detect(
            text, region=self.config.default_region, detect_names=self.config.detect_names
        )

    def _replacement(self, entity_type: str, value: str, operator: str) -> str:
        if operator == "mask":
            return mask(value)
        canonical = normalise(entity_type, value)
        if operator == "pseudonym":
            return pseudonym(entity_type, canonical, self.config.secret)
        numbers = self._numbers.setdefault(entity_type, {})
        key = hashlib.blake2b(canonical.encode(), digest_size=16).digest()
        number = numbers.get(key)
        if number is None:
            number = numbers[key] = len(numbers) + 1
        return placeholder(entity_type, number)
