"""Human-readable lines about a privacy report ("Redacted 127 email addresses")."""

from __future__ import annotations

from convoscope_analyzer.privacy.entities import ENTITY_TYPES, NOUNS
from convoscope_common.results import PrivacyReport


def insights(report: PrivacyReport) -> list[str]:
    """One line per entity type found, most frequent first; counts only, never values."""
    if not report.enabled:
        return []
    if report.total == 0:
        return ["No personal data or secrets detected"]
    lines: list[str] = []
    order = sorted(
        (t for t, n in report.counts.items() if n > 0),
        key=lambda t: (-report.counts[t], ENTITY_TYPES.index(t) if t in ENTITY_TYPES else 99),
    )
    for entity_type in order:
        count = report.counts[entity_type]
        singular, plural = NOUNS.get(entity_type, (entity_type, entity_type))
        noun = singular if count == 1 else plural
        operator = report.operators.get(entity_type, "replace")
        verb = "Found" if operator == "keep" else _VERBS.get(operator, "Redacted")
        line = f"{verb} {count:,} {noun}"
        if operator == "keep":
            line += " (kept as configured)"
        if entity_type in report.best_effort_types:
            line += " (best effort)"
        lines.append(line)
    return lines


_VERBS = {"replace": "Redacted", "mask": "Masked", "pseudonym": "Pseudonymised"}
