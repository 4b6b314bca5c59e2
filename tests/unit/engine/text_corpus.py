"""Real-looking message texts for the equality tests of the text scorers: every text of
a generated claude.ai and ChatGPT export (bench/generate_export.py, distinct texts), of
the fixtures and labelled sets in tests/data (nine languages, complaints), and variants
of them with what the scorers react to mixed in: capitals, "!!" and "??", negations,
"but", boosters, idioms, emoticons and emoji, flag phrases in odd case, code fences,
links, error lines, newlines, and characters whose case rules are unusual (the Turkish
dotted and dotless i, final sigma, the Kelvin sign, the long s, upper-case letters
without a lower case, typographic apostrophes, full-width letters), kana, Han and
hangul.
"""

from __future__ import annotations

import json
import random
from itertools import islice
from pathlib import Path

from tests.export_texts import load_generator, strings

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"

DECORATIONS = [
    "!!!", "??", "?!", ":)", ":(", "<3", "😁", "💔", "🙂", "but", "not", "no", "never so",
    "without doubt", "kind of", "sort of", "least", "at least", "very", "EXTREMELY",
    "the shit", "yeah right", "hand to mouth", "isn't", "nor", "URGENT", "Asap", "ASAP!!",
    "Right Now", "time-sensitive", "Let's", "LET US", "shall we", "tOgEtHeR", "Our",
    "what do you think?", "How", "Could you", "ſhall we", "urgeﬀnt", "wE cAn",
    "İstanbul", "ıs", "DIŞ", "ΟΔΟΣ", "ΟΔΟΣ.", "σοφόΣ'", "Kelvin", "ϒ", "ＡＢＣ",
    "don’t", "it’s GREAT", "naïve", "café", "straße", "ÇA", "Ёлка", "日本語", "ひらがな",
    "한국어", "中文", "\n", "\n\n", "```py\nprint(1)\n```", "`code`", "https://example.com/x",
    "a@b.io", "TypeError: bad operand", "  File \"x.py\", line 3", "at Foo.bar(X.java:1)",
    "\t", "—", "…", "«", "»", "'", "''", "--", "...",
]  # fmt: skip
UNICODE_CASES = [
    "İSTANBUL IS GREAT", "istanbul İs great!!", "ıt ıs good", "ΟΔΟΣ ΚΑΛΟΣ GOOD", "ſo good",
    "the K is good", "ϒ GOOD bad", "ＧＯＯＤ ｇｏｏｄ", "I DON’T LIKE IT", "it’s not bad",
    "ǅ good ǈ", "ﬁne ﬂow", "ẞ GREAT", "a\u0307 good", "good\u200bbad", "\u00a0good\u00a0",
    "\u3000great\u3000", "good\u2028bad", "GOOD\x1cBAD", "Σ", "ΑΣ.Β", "ΑΣ'", "'ΑΣ'Β'",
]  # fmt: skip


def variant(rng: random.Random, text: str) -> str:
    """``text`` (its first 60 words) with a few decorations, capitals or splices."""
    words = text.split(" ")[:60]
    for _ in range(rng.randint(1, 6)):
        if not words:
            break
        k = rng.randrange(len(words))
        roll = rng.random()
        if roll < 0.25:
            words[k] = words[k].upper()
        elif roll < 0.8:
            words.insert(k, rng.choice(DECORATIONS))
        else:
            words[k] = words[k] + rng.choice(DECORATIONS)
    return " ".join(words)


def base_texts(conversations: int = 300) -> list[str]:
    """Generated export texts (both vendors) and every fixture text, in a fixed order."""
    gen = load_generator()
    texts: list[str] = list(UNICODE_CASES)
    vendors = ((11, gen.iter_claude_conversations), (12, gen.iter_chatgpt_conversations))
    for seed, iterate in vendors:
        for conversation in islice(iterate(seed, unique=True), conversations):
            texts.extend(t for t in strings(conversation) if t)
    for path in sorted(DATA.rglob("*.json")) + sorted(DATA.rglob("*.jsonl")):
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            docs = [json.loads(line) for line in raw.splitlines() if line.strip()]
        else:
            docs = [json.loads(raw)]
        texts.extend(t for doc in docs for t in strings(doc) if t)
    return texts


def corpus_texts(variants: int = 5000, seed: int = 5) -> list[str]:
    """More than 10,000 texts: generated, fixtures, unusual cases and variants."""
    texts = base_texts()
    rng = random.Random(seed)
    short = [t for t in texts if len(t) < 600]
    texts.extend(variant(rng, rng.choice(short)) for _ in range(variants))
    return texts
