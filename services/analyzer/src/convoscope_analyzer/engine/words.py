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

# scikit-learn's English stop words (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``,
# 318 words, unchanged; tests/unit/engine/test_term_analyzer.py compares them): held here so
# that a process reading terms never imports scikit-learn (about 45 MB once imported).
ENGLISH_STOP_WORDS = frozenset(
    (
        "a about above across after afterwards again against all almost alone along already "
        "also although always am among amongst amoungst amount an and another any anyhow "
        "anyone anything anyway anywhere are around as at back be became because become "
        "becomes becoming been before beforehand behind being below beside besides between "
        "beyond bill both bottom but by call can cannot cant co con could couldnt cry de "
        "describe detail do done down due during each eg eight either eleven else elsewhere "
        "empty enough etc even ever every everyone everything everywhere except few fifteen "
        "fifty fill find fire first five for former formerly forty found four from front "
        "full further get give go had has hasnt have he hence her here hereafter hereby "
        "herein hereupon hers herself him himself his how however hundred i ie if in inc "
        "indeed interest into is it its itself keep last latter latterly least less ltd made "
        "many may me meanwhile might mill mine more moreover most mostly move much must my "
        "myself name namely neither never nevertheless next nine no nobody none noone nor "
        "not nothing now nowhere of off often on once one only onto or other others "
        "otherwise our ours ourselves out over own part per perhaps please put rather re "
        "same see seem seemed seeming seems serious several she should show side since "
        "sincere six sixty so some somehow someone something sometime sometimes somewhere "
        "still such system take ten than that the their them themselves then thence there "
        "thereafter thereby therefore therein thereupon these they thick thin third this "
        "those though three through throughout thru thus to together too top toward towards "
        "twelve twenty two un under until up upon us very via was we well were what whatever "
        "when whence whenever where whereafter whereas whereby wherein whereupon wherever "
        "whether which while whither who whoever whole whom whose why will with within "
        "without would yet you your yours yourself yourselves"
    ).split()
)


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
    """Stop words of a language (English: scikit-learn's list, :data:`ENGLISH_STOP_WORDS`)."""
    if language is None or language == "en":
        return ENGLISH_STOP_WORDS
    import stopwordsiso

    listed = stopwordsiso.stopwords(language) if stopwordsiso.has_lang(language) else set()
    return frozenset(w.lower() for w in listed) | CHAT_STOP_WORDS.get(language, frozenset())
