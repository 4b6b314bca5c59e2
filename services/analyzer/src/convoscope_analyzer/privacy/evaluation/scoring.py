"""Precision, recall and F2 per entity type, against labelled texts.

A prediction matches a true span of the same type when their intersection over
union is at least ``MIN_IOU``; each true span can be matched once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec

from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import ENTITY_TYPES, STRUCTURED_TYPES
from convoscope_analyzer.privacy.evaluation.labelled import LabelledText
from convoscope_analyzer.privacy.scanner import detect

MIN_IOU = 0.5
TARGET_RECALL = 0.98
TARGET_PRECISION = 0.95


class TypeScore(msgspec.Struct, kw_only=True):
    """Counts and scores of one entity type."""

    entity_type: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def support(self) -> int:
        """Number of true spans of this type."""
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0


class EvaluationReport(msgspec.Struct, kw_only=True):
    """Scores per entity type over a set of labelled texts."""

    examples: int
    scores: dict[str, TypeScore]


Detector = Callable[[str], list[Detection]]


def _iou(a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    inter = min(a_end, b_end) - max(a_start, b_start)
    if inter <= 0:
        return 0.0
    return inter / (max(a_end, b_end) - min(a_start, b_start))


def evaluate(
    examples: Iterable[LabelledText], detector: Detector | None = None
) -> EvaluationReport:
    """Score ``detector`` (default: :func:`detect`) on ``examples``."""
    run = detector if detector is not None else detect
    scores = {t: TypeScore(entity_type=t) for t in ENTITY_TYPES}
    count = 0
    for example in examples:
        count += 1
        predictions = run(example.text)
        matched: set[int] = set()
        for p in predictions:
            score = scores.setdefault(p.entity_type, TypeScore(entity_type=p.entity_type))
            best = -1
            for i, gold in enumerate(example.spans):
                if i in matched or gold.entity_type != p.entity_type:
                    continue
                if _iou(p.start, p.end, gold.start, gold.end) >= MIN_IOU:
                    best = i
                    break
            if best >= 0:
                matched.add(best)
                score.true_positives += 1
            else:
                score.false_positives += 1
        for i, gold in enumerate(example.spans):
            if i not in matched:
                scores.setdefault(gold.entity_type, TypeScore(entity_type=gold.entity_type))
                scores[gold.entity_type].false_negatives += 1
    return EvaluationReport(examples=count, scores=scores)


def missed_targets(
    report: EvaluationReport,
    types: Iterable[str] = STRUCTURED_TYPES,
    *,
    recall: float = TARGET_RECALL,
    precision: float = TARGET_PRECISION,
) -> list[str]:
    """One line per structured type whose recall or precision is under target."""
    missed: list[str] = []
    for t in types:
        s = report.scores[t]
        if s.support == 0:
            missed.append(f"{t}: no labelled examples")
            continue
        if s.recall < recall:
            missed.append(f"{t}: recall {s.recall:.3f} < {recall}")
        if s.precision < precision:
            missed.append(f"{t}: precision {s.precision:.3f} < {precision}")
    return missed


def format_report(report: EvaluationReport) -> str:
    """A fixed-width table of the scores (counts only, no text)."""
    lines = [
        f"{report.examples} examples",
        f"{'entity type':<16}{'support':>8}{'TP':>7}{'FP':>6}{'FN':>6}"
        f"{'precision':>11}{'recall':>8}{'F2':>7}",
    ]
    for t, s in report.scores.items():
        flag = "" if t in STRUCTURED_TYPES else "  (best effort, no target)"
        lines.append(
            f"{t:<16}{s.support:>8}{s.true_positives:>7}{s.false_positives:>6}"
            f"{s.false_negatives:>6}{s.precision:>11.3f}{s.recall:>8.3f}{s.f2:>7.3f}{flag}"
        )
    return "\n".join(lines)
