"""Words of a text in its language, for topics: segmentation where words are not
separated by spaces, and stop words per language.

- Chinese: jieba (its dictionary ships inside the package; loaded at the first Chinese
  conversation, not at start: it holds about 50 MB).
- Japanese: runs of one script (kanji compounds, katakana words, Latin words); the
  hiragana between them are mostly particles and endings. A dictionary segmenter was
  measured and left out: unidic-lite installs 249 MB and janome 203 MB, several times
  the rest of the analyzer, for keyword counting that script runs already serve.
- Korean: space-separated words with the common particles stripped from their end.
- Other languages: Unicode letter runs (accents kept: "código", "Größe").

Stop words: scikit-learn's English list (unchanged) and stopwordsiso's lists for the
other languages, plus the chat words every conversation holds.
"""

from __future__ import annotations

import logging
import re
import warnings
from functools import lru_cache

CJK = frozenset({"zh", "ja"})  # no spaces between words: keywords matched as substrings

_LATIN = re.compile(r"[a-z][a-z0-9+#']*")
_LETTERS = re.compile(r"[^\W\d_][\w'+#-]*")
_JAPANESE = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf々]{2,}|[\u30a0-\u30ffー]{2,}|[a-z][a-z0-9+#]+")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7af]+|[a-z][a-z0-9+#]+")
# Korean particles, longest first so "에서" is stripped before "에".
_KO_PARTICLES = re.compile(
    r"(?:에서는|에게서|으로는|으로|에서|에게|한테|까지|부터|처럼|보다|하고|이랑|은|는|이|가|을|를|에|의|도|와|과|로|만|랑)$"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")

# Words every chat holds whatever it is about.
CHAT_STOP_WORDS: dict[str, frozenset[str]] = {
    "es": frozenset("gracias favor puedes quiero necesito ayuda hola vale ok".split()),
    "pt": frozenset("obrigado obrigada favor pode quero preciso ajuda olá oi ok".split()),
    "fr": frozenset("merci peux veux besoin aide bonjour salut ok stp".split()),
    "de": frozenset("danke bitte kannst möchte brauche hilfe hallo ok".split()),
    "it": frozenset("grazie favore puoi voglio bisogno aiuto ciao ok".split()),
    "ru": frozenset("спасибо пожалуйста можешь нужно помоги привет ок".split()),
    "ja": frozenset("ください お願い ありがとう".split()),
    "zh": frozenset("谢谢 请 帮我 一下 可以 怎么 什么".split()),
    "ko": frozenset("감사합니다 고마워요 주세요 해주세요 알려줘".split()),
}


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    # jieba 0.42 holds regexes in plain strings ("\."): warnings at its first compile.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def words(text: str, language: str | None) -> list[str]:
    """Lower-cased words of ``text`` read as ``language`` (None or English: ASCII words,
    as the taxonomy's English keywords are written)."""
    lowered = text.lower()
    if language == "zh":
        found = _jieba().lcut(lowered)
        return [w for w in found if (_HAN.search(w) and len(w) >= 2) or _LATIN.fullmatch(w)]
    if language == "ja":
        return _JAPANESE.findall(lowered)
    if language == "ko":
        return [_KO_PARTICLES.sub("", w) or w for w in _HANGUL_WORD.findall(lowered)]
    if language is None or language == "en":
        return _LATIN.findall(lowered)
    return _LETTERS.findall(lowered)


@lru_cache(maxsize=32)
def stop_words(language: str | None) -> frozenset[str]:
    """Stop words of a language (English: scikit-learn's list)."""
    if language is None or language == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    import stopwordsiso

    listed = stopwordsiso.stopwords(language) if stopwordsiso.has_lang(language) else set()
    return frozenset(w.lower() for w in listed) | CHAT_STOP_WORDS.get(language, frozenset())
