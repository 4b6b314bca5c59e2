"""The failure detectors' shortcuts give what the plain computation gives: the word split
(``words_of``) is ``_WORD.findall``; an answer's opening read once on the refusal window
(``Scan.prefix``) answers every opening section on the apology window as scanning that
window does; a turn read with the next answer's opening given yields the same signals.
On >= 10,000 texts in every cue language (cue examples, labelled turns, the multilingual
set, the benchmark's sentences), re-cased, with typographic apostrophes, cues pushed
across the 200/400-character windows and Greek capital sigmas at the window's edge."""

from __future__ import annotations

import json
import random
import tomllib
from pathlib import Path

import pytest

from convoscope_analyzer.engine.complaints import (
    _WORD,
    APOLOGY_WINDOW,
    OPENING_SECTIONS,
    Turn,
    opening_scan,
    read_turn,
    words_of,
)
from convoscope_analyzer.engine.cue_scan import cue_group
from convoscope_analyzer.engine.cues import cue_file_paths, cue_languages, cues_for, normalise

DATA = Path(__file__).resolve().parents[2] / "data"
LANGUAGES: list[str | None] = [*cue_languages(), None]


def _fragments() -> list[str]:
    found: list[str] = []
    for path in cue_file_paths():
        stack = [tomllib.loads(path.read_text(encoding="utf-8"))]
        while stack:
            table = stack.pop()
            for key, value in table.items():
                if isinstance(value, dict):
                    stack.append(value)
                elif key in ("examples", "counter_examples"):
                    found.extend(value)
    for path in sorted((DATA / "complaints").glob("*.jsonl")) + sorted(
        (DATA / "multilingual").glob("*.jsonl")
    ):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found.extend(row[k] for k in ("before", "prev", "user", "next") if row.get(k))
    return found


FRAGMENTS = _fragments()


def _text(rng: random.Random) -> str:
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.choice((1, 1, 2, 3, 5)))]
    text = rng.choice((" ", "\n", ". ", "")).join(parts)
    roll = rng.random()
    if roll < 0.1:
        text = text.upper()
    elif roll < 0.15:
        text = text.lower()
    if rng.random() < 0.15:
        text = text.replace("'", "\u2019")
    if rng.random() < 0.2:  # a cue near or across the apology and refusal windows
        text = "x" * rng.choice((150, 180, 190, 195, 198, 320, 390)) + " " + text
    if rng.random() < 0.05:  # a capital sigma, final or not depending on the cut
        at = rng.choice((195, 197, 198, 199, 200, 201))
        text = (text + " " * at)[:at] + rng.choice(("\u03a3", "\u03a3\u0391", "Α\u03a3")) + text
    return text


@pytest.fixture(scope="module")
def texts() -> list[str]:
    rng = random.Random(31)
    found = [_text(rng) for _ in range(12_000)]
    assert len(found) >= 10_000
    assert sum(len(t) > APOLOGY_WINDOW for t in found) > 2_000
    assert sum("\u03a3" in t[:APOLOGY_WINDOW] for t in found) > 100
    return found


def test_words_of_is_the_word_pattern(texts) -> None:
    for text in texts:
        for variant in (text, text.lower(), normalise(text).lower()):
            assert words_of(variant) == _WORD.findall(variant)
    rng = random.Random(2)
    alphabet = [chr(code) for code in range(128)] + ["'"] * 8 + ["é", "\u2019", "\u0130", "ß"]
    for _ in range(100_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert words_of(text) == _WORD.findall(text), repr(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_opening_prefix_answers_as_a_scan_of_the_prefix(texts, language) -> None:
    book = cues_for(language)
    group = cue_group(book, OPENING_SECTIONS)
    for text in texts:
        head = normalise(text[:APOLOGY_WINDOW])
        narrowed = opening_scan(book, text).prefix(head)
        scanned = group.scan(head)
        for name in OPENING_SECTIONS:
            assert narrowed.section(name) == scanned.section(name), (name, text[:240])


@pytest.mark.parametrize("language", ["en", "de", "ja", None])
def test_a_turn_read_with_the_next_opening_gives_the_same_signals(texts, language) -> None:
    book = cues_for(language)
    rng = random.Random(5)
    for i in range(0, len(texts) - 3, 3):
        reply, answer, after = texts[i], texts[i + 1], texts[i + 2]
        turn = Turn(
            message_id="u",
            text=reply,
            answer_id="a",
            answer=answer,
            question=rng.choice((None, texts[i + 3])),
            next_id="n",
            next_text=after,
        )
        given = Turn(
            message_id="u",
            text=reply,
            answer_id="a",
            answer=answer,
            question=turn.question,
            next_id="n",
            next_text=after,
            next_opening=opening_scan(book, after),
        )
        assert read_turn(book, given) == read_turn(book, turn)
