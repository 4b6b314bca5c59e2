"""Issue 20's targets on the held-out labelled turns (never tuned on).

Held-out figures at the time of writing (bench/failures_eval.py): complaints precision
0.97, recall 0.78; refusals precision 1.00, recall 0.83; English neutral turns scored
strongly negative 0 of 68. The development part is checked too, as a regression guard.
"""

from pathlib import Path

import pytest

from convoscope_analyzer.failure_evaluation import evaluate, load_rows, missed_targets

DATA = Path(__file__).resolve().parents[2] / "data" / "complaints"


def test_the_labelled_set_is_as_large_as_the_issue_asks() -> None:
    rows = load_rows(DATA / "dev.jsonl") + load_rows(DATA / "heldout.jsonl")
    assert len(rows) >= 300
    assert sum(r.complaint for r in rows) >= 80
    assert sum(r.refusal for r in rows) >= 20
    assert {r.lang for r in rows} >= {"en", "fr", "pt", "es"}
    assert len({r.id for r in rows}) == len(rows)


@pytest.mark.parametrize("part", ["heldout", "dev"])
def test_targets_are_met(part: str) -> None:
    report = evaluate(load_rows(DATA / f"{part}.jsonl"))
    assert missed_targets(report) == []
