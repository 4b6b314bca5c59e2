"""Email addresses and phone numbers."""

from __future__ import annotations

import re

import phonenumbers

from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import EMAIL, PHONE

EMAIL_PRIORITY = 80
PHONE_PRIORITY = 55

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.\w)"
)
# "icon@2x.png" and friends: the "top-level domain" is a file extension.
_FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg webp ico bmp tif tiff css js mjs ts tsx jsx json lock yaml yml "
    "txt html htm xml pdf zip gz tar".split()
)


def find_emails(text: str) -> list[Detection]:
    """Email addresses (not scp-style git remotes, URL credentials or ``@2x`` file names)."""
    found: list[Detection] = []
    for m in _EMAIL.finditer(text):
        if m.group(1).lower() in _FILE_EXTENSIONS:
            continue
        end = m.end()
        # "git@github.com:org/repo.git" is an SSH remote, not a mailbox.
        if end < len(text) - 1 and text[end] == ":" and (text[end + 1].isalnum() or text[end + 1] in "/~"):
            continue
        # "scheme://user:password@host": the part before @ is a credential, not a mailbox.
        token_start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
        if "://" in text[token_start : m.start()]:
            continue
        found.append(Detection(EMAIL, m.start(), end, "email", EMAIL_PRIORITY))
    return found


# A run of digits with phone punctuation, optionally led by "+"; 7-15 digits checked below.
_PHONE_CANDIDATE = re.compile(
    r"(?<![\w.+/#-])(?:\+[ ]?)?\(?\d[\d \-.()]{5,22}\d(?![\w]|[.\-/:]\d)"
)
_NON_DIGITS = re.compile(r"\D+")
# Groupings a North American national number is written in.
_NANP_GROUPS = frozenset({(10,), (3, 3, 4), (1, 3, 3, 4), (3, 7), (1, 10)})
_NANP_REGIONS = frozenset({"US", "CA"})
_VALID = phonenumbers.Leniency.VALID


def find_phones(text: str, region: str = "US") -> list[Detection]:
    """Phone numbers, validated by libphonenumber (leniency VALID) on candidate runs only."""
    found: list[Detection] = []
    for m in _PHONE_CANDIDATE.finditer(text):
        candidate = m.group()
        groups = [g for g in _NON_DIGITS.split(candidate) if g]
        digits = sum(len(g) for g in groups)
        if not 7 <= digits <= 15:
            continue
        international = candidate.startswith("+")
        if not international and region in _NANP_REGIONS:
            if tuple(len(g) for g in groups) not in _NANP_GROUPS:
                continue
        if "ISBN" in text[max(0, m.start() - 12) : m.start()].upper():
            continue
        for match in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=_VALID):
            found.append(
                Detection(
                    PHONE, m.start() + match.start, m.start() + match.end, "phone", PHONE_PRIORITY
                )
            )
    return found
