"""A narrowed cue regex (``Cues.narrowed``: the alternation of the cues whose literal
parts all occur in a text) finds exactly what the list's whole alternation finds, on
more than 10,000 texts in every cue language: the cue files' examples and
counter-examples, the complaint and multilingual fixtures, the bench export's
sentences, mixed, re-cased, with typographic apostrophes and characters whose case
folding differs (``\u0130``, ``\u212a``)."""

from __future__ import annotations

import random

import pytest

from convoscope_analyzer.engine.cues import Cues, cues_for, cues_met
from tests.export_texts import bench_module, cue_fragments


def _fragments() -> list[str]:
    found = cue_fragments()
    generator = bench_module("generate_export")
    for sentences in generator.SUBJECTS.values():
        found.extend(sentences)
    return found


def _texts(count: int) -> list[str]:
    rng = random.Random(20261202)
    fragments = _fragments()
    texts = list(fragments)
    while len(texts) < count:
        parts = [rng.choice(fragments) for _ in range(rng.choice((1, 2, 2, 3, 4)))]
        text = rng.choice((" ", "\n", ". ", "")).join(parts)
        roll = rng.random()
        if roll < 0.1:
            text = text.upper()
        elif roll < 0.15:
            text = text.title()
        if rng.random() < 0.1:
            text = text.replace("'", "\u2019")
        if rng.random() < 0.04:
            text = "\u0130GNORE \u212aELVIN " + text
        texts.append(text)
    return texts


TEXTS = _texts(12_000)


def _lists() -> list[tuple[str, Cues]]:
    book = cues_for(None)
    found = [(f"{name}/{c.language}", c) for name, s in book.sections.items() for c in s.patterns]
    found += [(f"complaint.{r.type}/{r.cues.language}", r.cues) for r in book.complaints]
    return found


def test_the_texts_are_many_and_most_lists_narrow() -> None:
    assert len(TEXTS) >= 10_000
    lists = _lists()
    assert sum(1 for _, cues in lists if cues.sources) >= len(lists) * 0.9


@pytest.mark.parametrize(("name", "cues"), _lists(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_narrowed_regex_finds_what_the_whole_list_finds(name: str, cues: Cues) -> None:
    if not cues.sources or cues.requirements is None:
        pytest.skip(f"{name} is never narrowed")
    narrowed = 0
    for text in TEXTS:
        haystack = text.lower() if cues.folded else text
        met = cues_met(cues.requirements, haystack)
        whole = cues.pattern.search(text)
        if not met:
            assert whole is None, (name, text)  # no cue can match: the gate is sound
            continue
        pattern = cues.narrowed(met, text)
        narrowed += pattern is not cues.pattern
        found = pattern.search(text)
        assert (found and (found.span(), found.group(0))) == (
            whole and (whole.span(), whole.group(0))
        ), (name, text)
        assert cues.search(text) is not None if whole else cues.search(text) is None
    assert narrowed or name.split("/")[1] not in ("en", "*"), name
