"""Scores per writing system: names and street addresses in non-Latin scripts.

The labelled set (tests/data/privacy_scripts.jsonl) was written by hand before the
script cues existed; each text is filed under the script that dominates its letters.
"""

from __future__ import annotations

from collections import Counter

from convoscope_analyzer.privacy.evaluation.labelled import LabelledText
from convoscope_analyzer.privacy.evaluation.scoring import EvaluationReport, evaluate

SCRIPTS = ("Cyrillic", "Han", "Kana", "Hangul", "Arabic")


def script_of(text: str) -> str:
    """The script a text is written in: Kana wins over Han (Japanese mixes both)."""
    counts: Counter[str] = Counter()
    for ch in text:
        code = ord(ch)
        if 0x0400 <= code <= 0x04FF:
            counts["Cyrillic"] += 1
        elif 0x3040 <= code <= 0x30FF:
            counts["Kana"] += 1
        elif 0x4E00 <= code <= 0x9FFF:
            counts["Han"] += 1
        elif 0xAC00 <= code <= 0xD7A3:
            counts["Hangul"] += 1
        elif 0x0600 <= code <= 0x06FF:
            counts["Arabic"] += 1
    if counts["Kana"]:
        return "Kana"
    return counts.most_common(1)[0][0] if counts else "Latin"


def evaluate_by_script(examples: list[LabelledText]) -> dict[str, EvaluationReport]:
    """One evaluation per script, in :data:`SCRIPTS` order."""
    groups: dict[str, list[LabelledText]] = {}
    for example in examples:
        groups.setdefault(script_of(example.text), []).append(example)
    return {script: evaluate(groups[script]) for script in SCRIPTS if script in groups}


def format_by_script(reports: dict[str, EvaluationReport], types: tuple[str, ...]) -> str:
    """A table: script, type, support, recall, precision."""
    lines = [f"{'script':<9} {'type':<15} {'support':>7} {'recall':>7} {'precision':>9}"]
    for script, report in reports.items():
        for entity_type in types:
            s = report.scores[entity_type]
            lines.append(
                f"{script:<9} {entity_type:<15} {s.support:>7} {s.recall:>7.2f} {s.precision:>9.2f}"
            )
    return "\n".join(lines)
