"""Names and street addresses over non-Latin scripts (issue 19, point 6).

tests/data/privacy_scripts.jsonl was written by hand before the script cues were:
Cyrillic (Russian, Ukrainian), Chinese, Japanese, Korean and Arabic introductions,
salutations, form fields, sign-offs and addresses, with look-alikes ("我叫外卖" is
ordering a delivery, "меня зовут работать" is being called to work). Names and
addresses are best effort, so the targets are lower than for structured types; the
test prints recall and precision per script.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convoscope_analyzer.privacy.entities import PERSON_NAME, STREET_ADDRESS
from convoscope_analyzer.privacy.evaluation import load_tricky_cases
from convoscope_analyzer.privacy.evaluation.scripts import (
    SCRIPTS,
    evaluate_by_script,
    format_by_script,
    script_of,
)

DATA = Path(__file__).resolve().parents[1] / "data"
CASES = DATA / "privacy_scripts.jsonl"
# Written after the first rules, by someone who had not run them on it: the first run
# found every name but missed 3 of 9 addresses (docs/privacy.md has the figures).
HELDOUT = DATA / "privacy_scripts_heldout.jsonl"
TYPES = (PERSON_NAME, STREET_ADDRESS)
# Best effort, precision first: a wrong redaction hides words the analysis needs.
MIN_PRECISION = 0.9
MIN_RECALL = 0.75


def test_every_script_has_names_addresses_and_look_alikes() -> None:
    cases = load_tricky_cases(CASES)
    for script in SCRIPTS:
        mine = [c for c in cases if script_of(c.text) == script]
        kinds = {s.entity_type for c in mine for s in c.spans}
        assert kinds == set(TYPES), script
        assert any(not c.spans for c in mine), f"{script}: no look-alike"


@pytest.mark.parametrize("cases", [CASES, HELDOUT], ids=["labelled", "heldout"])
@pytest.mark.parametrize("script", SCRIPTS)
def test_names_and_addresses_per_script(script: str, cases: Path) -> None:
    reports = evaluate_by_script(load_tricky_cases(cases))
    print(f"\n{cases.name}\n" + format_by_script(reports, TYPES))
    for entity_type in TYPES:
        score = reports[script].scores[entity_type]
        assert score.precision >= MIN_PRECISION, (script, entity_type, score)
        assert score.recall >= MIN_RECALL, (script, entity_type, score)
