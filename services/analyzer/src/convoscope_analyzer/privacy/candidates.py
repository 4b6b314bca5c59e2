"""One pass over a text for the candidates of every detector.

The detectors used to look at each text on their own: ten ``str.count`` calls for the
digits, ``in`` checks for ``@``, ``://`` and the secret, password and webhook words,
one ``str.find`` loop per keyword, and a regex scan of the whole text for addresses,
IBANs, IPv4 addresses and name cues (about thirty passes for a message with a digit).
:func:`find_candidates` makes one regex pass over the lower-cased text and records
where each detector may start: digit runs, ``@``, colons (``://`` and IPv6), line
starts and the keywords. The detectors then run their own patterns and validators
(checksums, context rules) at those positions only, with the same results as a scan
of the whole text.

Why the pattern is written as it is: CPython's regex engine skips quickly only to the
characters a pattern can start with, and it computes that set only when every
alternative starts with a literal character. So digit runs are ten alternatives
(``0[0-9]*|1[0-9]*|...``), and each keyword is anchored on its rarest letter
(``secret`` on its ``c``, with the rest checked around it), which keeps the set of
start characters to about one in seven characters of English prose. Each match
consumes one character (or one digit run), so no keyword hides another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

import msgspec

from convoscope_analyzer.privacy.casefold import lower_same_length

# The keywords the detectors start from (lower case), and the offset of the letter each
# is anchored on. A word that starts with one of these ("password", "credential",
# "--password") is found from it: see Candidates.hits_of.
_KEYWORD_ANCHORS: dict[str, int] = {
    "pass": 0,
    "pw": 1,
    "secret": 2,
    "token": 2,
    "key": 0,
    "cred": 0,
    "bearer": 0,
    "login": 2,
    "user": 0,
    "mysql": 3,
    "mariadb": 6,
    "hooks.": 3,
    "webhook": 6,
    "discord": 3,
    "my name": 1,
    "-----begin": 7,
    "eyj": 2,
}
# Longer words found from a keyword above: word -> (keyword, offset of the keyword in it).
_DERIVED: dict[str, tuple[str, int]] = {
    "password": ("pass", 0),
    "passwd": ("pass", 0),
    "passphrase": ("pass", 0),
    "passcode": ("pass", 0),
    "--password": ("pass", 2),
    "sshpass": ("pass", 3),
    "pwd": ("pw", 0),
    "credential": ("cred", 0),
    "my name is ": ("my name", 0),
    "my name's ": ("my name", 0),
}


def _keyword_branches() -> list[str]:
    by_anchor: dict[str, list[str]] = {}
    for word, offset in _KEYWORD_ANCHORS.items():
        anchor = word[offset]
        before = re.escape(word[: offset + 1])
        after = re.escape(word[offset + 1 :])
        check = (f"(?<={before})" if offset else "") + (f"(?={after})" if after else "")
        by_anchor.setdefault(anchor, []).append(check)
    return [f"{re.escape(a)}(?:{'|'.join(checks)})" for a, checks in by_anchor.items()]


# Street-name suffixes of a US/UK street address (detectors.address); the pass looks for
# them after a house number, lower-cased.
STREET_SUFFIXES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Ter"
    "|Way|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Plaza|Crescent|Close|Loop"
    "|Row|Path|Pike"
)
# A digit run is a candidate only where a detector may start at it; every other run
# ("in 2024, 3 of them") is passed over inside the regex engine. The conditions are
# necessary ones of each detector's pattern, read in the lower-cased text:
# - IBAN: two letters before, the second check digit, then two groups of 4 (spaces allowed);
# - street address: an optional letter, then 1-3 words (an optional direction first), then
#   a street suffix ("221b baker street");
# - IPv4: a dot and the three other dotted numbers.
_IBAN_AHEAD = r"(?= ?[a-z0-9]{4} ?[a-z0-9]{4})"
_ADDRESS_AHEAD = (
    r"[a-z]?(?:[ ][a-z]+\.?)?(?:[ ](?:[a-z]+|\d{1,3}(?:st|nd|rd|th))){1,3}[ ]"
    rf"(?:{STREET_SUFFIXES.lower()})"
)
_IPV4_AHEAD = r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]"
# Only at the first digit of a run, and the run is taken whole (possessive "*+"): the
# conditions are checked once per run, never again for a shorter part of it.
_DIGIT_RUN = (
    r"{d}(?<![0-9]{d})(?:(?<=[a-z][a-z]{d})[0-9]" + _IBAN_AHEAD + r"[0-9]*+"
    r"|[0-9]*+(?=" + _ADDRESS_AHEAD + "|" + _IPV4_AHEAD + "))"
)
# A line a name cue may start (detectors.names: "Dear Anna,", "Name: ...", a sign-off
# before a name line), lower-cased; the words cover every cue of names._LINE_CUE.
_NAME_LINE = (
    r"\n(?=[ \t]*(?:dear|h[ie]|name|full name|c(?:ontact|ustomer|heers)|patient|author|from"
    r"|signed|best|kind regards|regards|thank|sincerely|warm regards|all the best))"
)
_CANDIDATE = re.compile(
    "|".join(
        [_DIGIT_RUN.replace("{d}", d) for d in "0123456789"]
        + ["@", ":", _NAME_LINE, *_keyword_branches()]
    )
)
_DIGIT_BYTES = b"0123456789"
# Bytes of token characters become "a", all others " ": a run of 20 "a" means a token of
# 20+ characters may exist. One C-level translate and one substring search (~2 µs per
# 2 kB) instead of a regex scan; non-ASCII bytes never belong to a token.
_TOKEN_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_=-"
_TOKEN_BYTE_TABLE = bytes(0x61 if i in _TOKEN_CHARS else 0x20 for i in range(256))
_TWENTY = b"a" * 20


def long_token_in(encoded: bytes) -> bool:
    """True when ``encoded`` (a text in UTF-8) has 20+ consecutive token characters."""
    return len(encoded) >= 20 and _TWENTY in encoded.translate(_TOKEN_BYTE_TABLE)


# Anchor letter -> (keyword, offset of the anchor in it).
_BY_ANCHOR: dict[str, tuple[tuple[str, int], ...]] = {}
for _word, _offset in _KEYWORD_ANCHORS.items():
    _BY_ANCHOR[_word[_offset]] = (*_BY_ANCHOR.get(_word[_offset], ()), (_word, _offset))


# Words looked up together (Candidates.hits_of_any): (keyword, offset of the keyword in
# the words, the words as a tuple for str.startswith, or None when the keyword itself is
# one of them: then every hit counts).
WordGroups = tuple[tuple[str, int, tuple[str, ...] | None], ...]


def word_groups(words: Sequence[str]) -> WordGroups:
    """``words`` (keywords and words derived from them) grouped for ``hits_of_any``."""
    groups: dict[tuple[str, int], list[str]] = {}
    for word in words:
        keyword, offset = _DERIVED.get(word, (word, 0))
        if keyword not in _KEYWORD_ANCHORS:
            raise ValueError(f"{word!r} is neither a keyword nor derived from one")
        groups.setdefault((keyword, offset), []).append(word)
    return tuple(
        (keyword, offset, None if keyword in group else tuple(group))
        for (keyword, offset), group in groups.items()
    )


_NO_POSITIONS: tuple[int, ...] = ()
_NO_RUNS: tuple[tuple[int, int], ...] = ()
_NO_HITS: dict[str, list[int]] = {}


class Candidates(msgspec.Struct, frozen=True, gc=False):
    """Where each detector may find something in one text (offsets into the text).

    ``runs``: the maximal runs of ASCII digits a detector may start at, as (start, end);
    ``digits``: how many ASCII digits the text holds; ``long_token``: whether it has 20+
    consecutive token characters (vendor keys, JWTs, random tokens); ``ats``, ``colons``:
    positions of those characters; ``newlines``: the newlines a name cue may follow;
    ``hits``: keyword -> its positions in the lower-cased text, in order. (A Struct
    with shared empty defaults: most texts have few candidates, and building an object
    per text must cost next to nothing.)
    """

    lowered: str
    runs: Sequence[tuple[int, int]] = _NO_RUNS
    digits: int = 0
    long_token: bool = False
    ats: Sequence[int] = _NO_POSITIONS
    colons: Sequence[int] = _NO_POSITIONS
    newlines: Sequence[int] = _NO_POSITIONS
    hits: Mapping[str, list[int]] = _NO_HITS

    def hits_of(self, word: str) -> Sequence[int]:
        """Every position of ``word`` (a keyword or a word derived from one), in order."""
        hits = self.hits
        if not hits:
            return _NO_POSITIONS
        if word in hits:
            return hits[word]
        derived = _DERIVED.get(word)
        if derived is None or derived[0] not in hits:
            return _NO_POSITIONS
        keyword, offset = derived
        lowered = self.lowered
        return [
            p - offset
            for p in hits[keyword]
            if p >= offset and lowered.startswith(word, p - offset)
        ]

    def hits_of_any(self, words: WordGroups) -> list[int]:
        """The positions of any of ``words`` (made by :func:`word_groups`), sorted, each
        once: what ``sorted({p for w in words for p in self.hits_of(w)})`` gives, with one
        ``str.startswith`` per hit of each keyword instead of one per word."""
        hits = self.hits
        if not hits:
            return []
        found: set[int] = set()
        lowered = self.lowered
        for keyword, offset, prefixes in words:
            positions = hits.get(keyword)
            if not positions:
                continue
            if prefixes is None:
                found.update(positions)
            else:
                found.update(
                    p - offset
                    for p in positions
                    if p >= offset and lowered.startswith(prefixes, p - offset)
                )
        return sorted(found)

    def has(self, *keywords: str) -> bool:
        """True when one of the ``keywords`` (not derived words) occurs."""
        hits = self.hits
        return any(k in hits for k in keywords)

    def schemes(self) -> list[int]:
        """Positions of ``://``."""
        lowered = self.lowered
        return [c for c in self.colons if lowered.startswith("://", c)]

    def exact(self, keyword: str, original: str, text: str) -> bool:
        """Is ``original`` (``keyword`` in its case as written) at one of the hits in ``text``?"""
        return any(text.startswith(original, p) for p in self.hits.get(keyword, ()))


def find_candidates(text: str, lowered: str | None = None) -> Candidates:
    """The candidates of every detector in ``text``.

    ``lowered`` is ``casefold.lower_same_length(text)`` (computed when not given). Besides
    the regex pass, the text's UTF-8 bytes are counted and classified by two C-level
    ``bytes.translate`` calls: ASCII digits and token characters are single bytes.
    """
    if lowered is None:
        lowered = lower_same_length(text)
    encoded = text.encode("utf-8", "surrogatepass")
    digits = len(encoded) - len(encoded.translate(None, _DIGIT_BYTES))
    # Lists are made on first use: most texts have no candidate of most kinds, and
    # every container made per text costs allocation and garbage-collector time.
    runs: list[tuple[int, int]] | None = None
    ats: list[int] | None = None
    colons: list[int] | None = None
    newlines: list[int] | None = None
    hits: dict[str, list[int]] | None = None
    by_anchor = _BY_ANCHOR
    # Characters compared by code point: "\n" < digits < ":" < "@" < the anchor letters.
    for m in _CANDIDATE.finditer(lowered):
        start = m.start()
        ch = lowered[start]
        if ch <= "9":
            if ch == "\n":
                if newlines is None:
                    newlines = [start]
                else:
                    newlines.append(start)
            elif runs is None:
                runs = [m.span()]
            else:
                runs.append(m.span())
        elif ch == ":":
            if colons is None:
                colons = [start]
            else:
                colons.append(start)
        elif ch == "@":
            if ats is None:
                ats = [start]
            else:
                ats.append(start)
        else:
            for word, offset in by_anchor[ch]:
                at = start - offset
                if at >= 0 and lowered.startswith(word, at):
                    if hits is None:
                        hits = {word: [at]}
                    elif word in hits:
                        hits[word].append(at)
                    else:
                        hits[word] = [at]
    return Candidates(
        lowered,
        runs or _NO_RUNS,
        digits,
        long_token_in(encoded),
        ats or _NO_POSITIONS,
        colons or _NO_POSITIONS,
        newlines or _NO_POSITIONS,
        hits or _NO_HITS,
    )


def matches_at_runs(
    pattern: re.Pattern[str], text: str, runs: Sequence[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` yields, for a pattern that can only start a digit run.

    (Its first character is a digit that no digit or word character precedes.) Each run
    start at or after the end of the previous match is tried, as finditer would.
    """
    resume = 0
    for start, _ in runs:
        if start >= resume:
            m = pattern.match(text, start)
            if m is not None:
                resume = m.end()
                yield m
