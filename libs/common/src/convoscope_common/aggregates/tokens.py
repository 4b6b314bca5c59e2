"""Estimated tokens of a message: characters weighted by script, times a vendor factor.

No tokenizer ships with ConvoScope and nothing is downloaded at run time, so token
counts are an *estimate*: BPE tokenizers spend about one token per four characters of
English, fewer characters per token in other alphabets, and about one token per CJK
character. Each character counts the weight of its script below (tokens per character);
the weights differ by vendor (two tokenizers). ``bench/bench_tokens.py`` measures the error
against OpenAI's o200k_base and Anthropic's published tokenizer and docs/results.md
("Usage estimate") quotes its figures.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import reduce
from operator import add

from convoscope_common.corpus import Message

TOKENS_METHOD = (
    "estimate: characters weighted by script and vendor (English about 4 characters per "
    "token, CJK about 1 to 1.4 tokens per character); no tokenizer is run"
)

# Script classes: (first code point of a range, class); a range runs up to the next entry.
_ASCII, _LATIN, _GREEK_CYRILLIC, _KANA, _HAN, _HANGUL, _CJK_PUNCT, _OTHER, _ASTRAL = range(9)
_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, _ASCII),
    (0x0080, _LATIN),  # Latin-1 supplement, Latin extended (accented letters)
    (0x0250, _OTHER),
    (0x0370, _GREEK_CYRILLIC),
    (0x0530, _OTHER),  # Hebrew, Arabic, Indic scripts, symbols
    (0x3000, _CJK_PUNCT),
    (0x3040, _KANA),
    (0x3100, _OTHER),
    (0x3400, _HAN),
    (0x4DC0, _OTHER),
    (0x4E00, _HAN),
    (0xA000, _OTHER),
    (0xAC00, _HANGUL),
    (0xD7B0, _OTHER),
    (0xFF00, _CJK_PUNCT),  # full-width forms
    (0xFFF0, _OTHER),
    (0x10000, _ASTRAL),  # emoji and other characters outside the basic plane
)
_STARTS = [start for start, _ in _RANGES]
_CLASSES = [cls for _, cls in _RANGES]

# Tokens per character of each class, by vendor: a non-negative least-squares fit of
# 1,414 messages in 10 languages (tests/data/multilingual, tests/data/complaints) to
# o200k_base (ChatGPT) and to Anthropic's published tokenizer (Claude), minimising the
# relative error (bench/bench_tokens.py prints the fit's error). Astral characters
# (emoji) were not in the sample: their weight is a guess (UTF-8 needs 4 bytes each).
_WEIGHTS: dict[str, tuple[float, ...]] = {
    #          ascii  latin  gr/cyr kana   han    hangul cjk-p  other  astral
    "chatgpt": (0.233, 0.714, 0.295, 0.515, 0.713, 0.77, 0.892, 0.732, 1.5),
    "claude": (0.249, 1.895, 0.582, 0.855, 0.957, 1.293, 1.239, 1.194, 2.0),
}


def char_weight(char: str, weights: tuple[float, ...]) -> float:
    """The weight of one character's script class."""
    return weights[_CLASSES[bisect_right(_STARTS, ord(char)) - 1]]


class _CharWeights(dict[str, float]):
    """Weight per character for one vendor, filled as characters are met (at most one
    entry per distinct character: the alphabet, never the text)."""

    def __init__(self, weights: tuple[float, ...]) -> None:
        super().__init__()
        self.weights = weights

    def __missing__(self, char: str) -> float:
        weight = self[char] = char_weight(char, self.weights)
        return weight


_CHAR_WEIGHTS = {vendor: _CharWeights(weights) for vendor, weights in _WEIGHTS.items()}


def text_tokens(text: str, vendor: str) -> float:
    """Unrounded token estimate of ``text`` for ``vendor`` (unknown vendors: ChatGPT's)."""
    weights = _WEIGHTS.get(vendor, _WEIGHTS["chatgpt"])
    if text.isascii():
        return len(text) * weights[_ASCII]
    table = _CHAR_WEIGHTS.get(vendor, _CHAR_WEIGHTS["chatgpt"])
    # The weights added one by one in text order, as a loop would (same float result),
    # with the per-character lookup and the additions in C.
    return reduce(add, map(table.__getitem__, text), 0.0)


def estimate_tokens(text: str, vendor: str) -> int:
    """Estimated tokens of ``text`` for ``vendor`` ("claude", "chatgpt"); 0 for no text."""
    if not text:
        return 0
    return max(1, round(text_tokens(text, vendor)))


def message_tokens(message: Message, vendor: str) -> tuple[int, int]:
    """(input, output) estimated tokens of one message: what the user sent (text and the
    text of attachments) or what the assistant produced (text and readable reasoning).
    Context resent with every turn is not counted: this is what was written, not billed."""
    if message.role == "user":
        sent = estimate_tokens(message.text, vendor)
        sent += sum(estimate_tokens(a.extracted_text, vendor) for a in message.attachments)
        return sent, 0
    produced = estimate_tokens(message.text, vendor)
    produced += sum(estimate_tokens(t, vendor) for t in message.thinking)
    return 0, produced
