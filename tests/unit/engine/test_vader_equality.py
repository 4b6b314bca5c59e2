"""FastVader gives vaderSentiment's compound, exactly, on more than 10,000 messages.

The messages: every text of a generated claude.ai and ChatGPT export (bench/
generate_export.py, distinct texts), the real-shape fixtures and labelled sets in
tests/data, hand-written cases of each VADER rule, and variants of generated texts
with the things VADER reacts to mixed in (capitals, "!!!", "??", negations, "but",
boosters and dampeners, idioms, emoticons, emoji).
"""

from __future__ import annotations

import json
import random
from itertools import islice
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from convoscope_analyzer.engine.cues import cues_for
from convoscope_analyzer.engine.sentiment import VaderModel
from convoscope_analyzer.engine.vader import FastVader
from convoscope_common.aggregates.sections import label_for
from tests.export_texts import load_generator, strings

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"

RULES = [
    "VADER is smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "no good no bad no problem",
    "no, no or nor good",
    "never so good, never this bad",
    "without doubt the best, without any doubt great",
    "the least good thing, at least good, very least bad",
    "that was the shit and the bomb, bad ass, yeah right, kiss of death, to die for",
    "it is sort of great and kind of awful and just enough nice",
    "good good but bad bad but good",
    "great, great, great but terrible, great",
    "GOOD GOOD GOOD",
    "??? !!! ?? !!!!! ?",
    "",
    "   ",
    ":) :( :-) <3 </3 :D xD ;)",
    "I 😁😁😁 love it🔥",
    "can't stand it, fed up, screwed up",
    "İstanbul is GREAT",
    "it isn't bad. It wasn't not good! I don't hate it",
    "extremely bad, very VERY good, barely okay, hardly awful",
]
DECORATIONS = [
    "!!!",
    "??",
    "?!",
    " :)",
    " :(",
    " <3",
    " 😁",
    " 💔",
    "🙂",
    " but",
    " not",
    " no",
    " never so",
    " without doubt",
    " kind of",
    " sort of",
    " least",
    " at least",
    " very",
    " EXTREMELY",
    " the shit",
    " yeah right",
    " hand to mouth",
    " isn't",
    " nor",
]


def _variant(rng: random.Random, text: str) -> str:
    words = text.split()[:60]
    for _ in range(rng.randint(1, 6)):
        if not words:
            break
        k = rng.randrange(len(words))
        roll = rng.random()
        if roll < 0.3:
            words[k] = words[k].upper()
        elif roll < 0.9:
            words.insert(k, rng.choice(DECORATIONS).strip())
        else:
            words[k] = words[k] + rng.choice(DECORATIONS).strip()
    return " ".join(words)


def corpus_texts() -> list[str]:
    """More than 10,000 texts: generated, fixtures, rules and variants."""
    gen = load_generator()
    texts: list[str] = list(RULES)
    for vendor, seed in (("claude", 11), ("chatgpt", 12)):
        iterate = (
            gen.iter_claude_conversations if vendor == "claude" else gen.iter_chatgpt_conversations
        )
        for conversation in islice(iterate(seed, unique=True), 600):
            texts.extend(t for t in strings(conversation) if t)
    for path in sorted(DATA.rglob("*.json")) + sorted(DATA.rglob("*.jsonl")):
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            docs = [json.loads(line) for line in raw.splitlines() if line.strip()]
        else:
            docs = [json.loads(raw)]
        texts.extend(t for doc in docs for t in strings(doc) if t)
    rng = random.Random(5)
    short = [t for t in texts if len(t) < 400]
    texts.extend(_variant(rng, rng.choice(short)) for _ in range(6000))
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = corpus_texts()
    assert len(found) >= 10_000
    return found


@pytest.mark.parametrize("neutral", [False, True], ids=["plain-lexicon", "engine-lexicon"])
def test_compound_equals_vader_sentiment(texts: list[str], neutral: bool) -> None:
    reference = SentimentIntensityAnalyzer()
    if neutral:
        terms = cues_for("en").neutral_terms
        reference.lexicon = {w: (0.0 if w in terms else v) for w, v in reference.lexicon.items()}
    fast = FastVader.from_analyzer(reference)
    sample = texts if neutral else texts[::3]
    differ = [
        (text, expected, got)
        for text in sample
        if (expected := reference.polarity_scores(text)["compound"]) != (got := fast.compound(text))
    ]
    assert not differ, differ[:5]
    # The sample is not all zeros: the rules were exercised.
    assert sum(fast.compound(t) != 0.0 for t in sample) > len(sample) // 4


def test_engine_model_labels_unchanged(texts: list[str]) -> None:
    """The engine's model (prose only, frustration floor) labels as before."""
    book = cues_for("en")
    model = VaderModel(book.neutral_terms, book)
    reference = SentimentIntensityAnalyzer()
    reference.lexicon = dict(model._vader.lexicon)
    for text in texts[::4]:
        got = model.compound(text)
        own = _prose_reference(text, model)
        assert got == own
        assert label_for(round(got, 4)) == label_for(round(own, 4))


def _prose_reference(text: str, model: VaderModel) -> float:
    """VaderModel.compound computed with vaderSentiment itself."""
    from convoscope_analyzer.engine.complaints import frustration_cue
    from convoscope_analyzer.engine.sentiment import FRUSTRATED_COMPOUND, prose

    assert model._book is not None
    own = prose(text, model._book)
    if not own.strip():
        return 0.0
    score = float(model._analyzer.polarity_scores(own)["compound"])
    if score > FRUSTRATED_COMPOUND and frustration_cue(model._book, own) is not None:
        return FRUSTRATED_COMPOUND
    return score
