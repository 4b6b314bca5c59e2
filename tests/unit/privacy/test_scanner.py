from __future__ import annotations

from convoscope_analyzer.privacy import Detection
from convoscope_analyzer.privacy.scanner import resolve_overlaps


def test_higher_priority_wins_then_longer() -> None:
    low_long = Detection("secret", 0, 30, "high_entropy", 30)
    high_short = Detection("email", 5, 20, "email", 80)
    other = Detection("ip_address", 31, 40, "ipv4", 50)
    same_prio_short = Detection("ip_address", 33, 36, "ipv4", 50)
    kept = resolve_overlaps([low_long, same_prio_short, other, high_short])
    assert kept == [high_short, other]


def test_adjacent_spans_both_kept() -> None:
    a = Detection("email", 0, 5, "", 1)
    b = Detection("email", 5, 9, "", 1)
    assert resolve_overlaps([b, a]) == [a, b]


def test_chain_of_overlaps_forms_one_cluster() -> None:
    # a overlaps b, b overlaps c, a and c do not overlap: b (highest) knocks out both.
    a = Detection("email", 0, 10, "", 10)
    b = Detection("secret", 8, 22, "", 90)
    c = Detection("phone", 20, 30, "", 10)
    d = Detection("phone", 30, 35, "", 10)
    assert resolve_overlaps([c, a, d, b]) == [b, d]
    # Without b, a and c are both kept.
    assert resolve_overlaps([c, a]) == [a, c]
