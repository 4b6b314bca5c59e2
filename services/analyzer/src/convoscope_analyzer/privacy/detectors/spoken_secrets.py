"""Passwords outside config files: in prose, in "user / password" pairs, on command lines.

"my password is Blu3-Otter!42", "pw: t7Kq9!mZr2", "the login is admin / S3cret#1",
"mysql -u app -pT9wq2Lx7" and "--password=...". A value counts only when it looks like a
password rather than a word: letters and a digit or symbol, and no placeholder or
reference (``_is_real_value`` of the config-line detector).
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.candidates import Candidates, find_candidates, word_groups
from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors.secrets import is_real_value
from convoscope_analyzer.privacy.entities import SECRET

PROSE_PASSWORD_PRIORITY = 40

_VALUE = r"[\"'“‘`]?([^\s\"'”’`]{4,64})"
# "password [for the staging box] is|was|:|= VALUE"
_PROSE_PASSWORD = re.compile(
    r"(?i)\b(?:password|passwd|passphrase|passcode|pw|pwd)\b"
    r"(?:\s+(?:for|of|to|on)\s+(?:the\s+|my\s+|our\s+|your\s+)?[\w.-]+(?:\s+[\w.-]+)?)?"
    r"\s*(?:(?:is|was)\b\s*[:=]?|[:=]|-(?=\s))\s*" + _VALUE
)
# "login is admin / VALUE", "credentials: ops@example.com / VALUE"
_USER_SLASH_PASSWORD = re.compile(
    r"(?i)\b(?:login|logins|credentials?|creds|user(?:name)?\s*/\s*pass(?:word)?)"
    r"\s*(?:is|are|:)\s*[\"']?[\w.@+-]{1,64}[\"']?\s*/\s*" + _VALUE
)
# Command lines: "mysql ... -pVALUE" (attached), "--password[= ]VALUE", "sshpass -p VALUE".
_CLI_PASSWORD = re.compile(
    r"(?:\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?\s-p([^\s\-'\"][^\s'\"]{3,63})"
    r"|--password[= ][\"']?([^\s'\"]{4,64})"
    r"|\bsshpass\s+-p\s*[\"']?([^\s'\"]{4,64}))"
)
_TRAILING_PUNCTUATION = ".,;:)"
_HAS_LETTER = re.compile(r"[A-Za-z]")
_HAS_DIGIT_OR_SYMBOL = re.compile(r"[0-9!@#$%^&*+=?~_-]")


def _password_like(value: str) -> bool:
    return (
        _HAS_LETTER.search(value) is not None
        and _HAS_DIGIT_OR_SYMBOL.search(value) is not None
        and is_real_value(value)
    )


# Lower-case words each pattern starts with: patterns are tried only where one occurs
# (the candidate pass found it), never at every position of a long text.
_STARTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_PROSE_PASSWORD, ("password", "passwd", "passphrase", "passcode", "pw", "pwd")),
    (_USER_SLASH_PASSWORD, ("login", "cred", "user")),
    (_CLI_PASSWORD, ("mysql", "mariadb", "--password", "sshpass")),
)
# Cheap gate (scanner.detect): a text may hold a password this module finds only if it
# has one of these keywords.
SPOKEN_CUES = frozenset(("pass", "pw", "login", "cred", "mysql", "mariadb"))
# Each pattern's start words grouped by the keyword they are found from, and those
# keywords: a pattern none of whose keywords occurs is not tried.
_GROUPS = tuple(word_groups(words) for _, words in _STARTS)
_FOUND_FROM = tuple(frozenset(keyword for keyword, _, _ in groups) for groups in _GROUPS)


def find_spoken_passwords(
    text: str, lowered: str | None = None, candidates: Candidates | None = None
) -> list[Detection]:
    """Passwords said in prose, given as "user / password", or typed on a command line.

    Each pattern is tried at the hits of its start words in ``candidates`` (found here
    when not given).
    """
    if candidates is None:
        lowered = lower_same_length(text) if lowered is None else lowered
        candidates = find_candidates(text, lowered)
    found: list[Detection] = []
    hits = candidates.hits
    for (pattern, _), groups, keywords in zip(_STARTS, _GROUPS, _FOUND_FROM, strict=True):
        if keywords.isdisjoint(hits):
            continue
        kind = "cli_password" if pattern is _CLI_PASSWORD else "prose_password"
        for hit in candidates.hits_of_any(groups):
            m = pattern.match(text, hit)
            if m is None:
                continue
            group = next(g for g in range(1, (m.lastindex or 1) + 1) if m.group(g) is not None)
            start, end = m.span(group)
            while end > start and text[end - 1] in _TRAILING_PUNCTUATION:
                end -= 1
            if _password_like(text[start:end]):
                found.append(Detection(SECRET, start, end, kind, PROSE_PASSWORD_PRIORITY))
    return found
