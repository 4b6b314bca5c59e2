"""Evaluation harness: a seeded, labelled synthetic corpus and precision/recall/F2 scoring."""

from convoscope_analyzer.privacy.evaluation.labelled import LabelledSpan, LabelledText
from convoscope_analyzer.privacy.evaluation.scoring import (
    TARGET_PRECISION,
    TARGET_RECALL,
    EvaluationReport,
    TypeScore,
    evaluate,
    format_report,
    missed_targets,
)
from convoscope_analyzer.privacy.evaluation.synthetic import generate_corpus
from convoscope_analyzer.privacy.evaluation.tricky import load_tricky_cases

__all__ = [
    "TARGET_PRECISION",
    "TARGET_RECALL",
    "EvaluationReport",
    "LabelledSpan",
    "LabelledText",
    "TypeScore",
    "evaluate",
    "format_report",
    "generate_corpus",
    "load_tricky_cases",
    "missed_targets",
]
