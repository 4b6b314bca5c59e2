"""Email addresses and phone numbers."""

from __future__ import annotations

import functools
import re

import phonenumbers

from convoscope_analyzer.privacy.candidates import Candidates, find_candidates
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors.phone_regions import (
    FALLBACK_REGIONS,
    located_region_hints,
    nearest_regions,
)
from convoscope_analyzer.privacy.entities import EMAIL, PHONE

EMAIL_PRIORITY = 80
PHONE_PRIORITY = 55

# The domain after "@"; the local part is found by scanning left from "@" (fast: no
# regex has to test every letter of a long text).
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.\w)"
)
# Brackets occur inside bot addresses ("123+dependabot[bot]@users.noreply.github.com").
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-[]")
_LOCAL_EDGE_BAD = frozenset("._%+-[]")
# Mail headers whose "<...@host>" values are message ids, not mailboxes.
_MESSAGE_ID_HEADER = re.compile(r"(?i)(?:message-id|in-reply-to|references|content-id):")
# "icon@2x.png" and friends: the "top-level domain" is a file extension.
_FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg webp ico bmp tif tiff css js mjs ts tsx jsx json lock yaml yml "
    "txt html htm xml pdf zip gz tar".split()
)


def find_emails(text: str, candidates: Candidates | None = None) -> list[Detection]:
    """Email addresses (not scp-style git remotes, URL credentials or ``@2x`` file names).

    Looked for at the ``@`` signs of ``candidates`` (found here when not given).
    """
    found: list[Detection] = []
    if candidates is None:
        candidates = find_candidates(text)
    for at in candidates.ats:
        start = at
        while start > 0 and at - start < 64 and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        # A leading dot/dash/plus is punctuation around the address, not part of it.
        while start < at and text[start] in _LOCAL_EDGE_BAD:
            start += 1
        domain = _DOMAIN.match(text, at + 1)
        if start < at and text[at - 1] != "." and domain is not None:
            end = _mailbox_end(text, start, at, domain)
            if end is not None:
                found.append(Detection(EMAIL, start, end, "email", EMAIL_PRIORITY))
    return found


def _mailbox_end(text: str, start: int, at: int, domain: re.Match[str]) -> int | None:
    """Where the address ends, or None when this is not a mailbox."""
    end = domain.end()
    if domain.group(1).lower() in _FILE_EXTENSIONS:
        # "jane@example.com.txt" is an address in a file name; "icon@2x.png" is not.
        labels = text[at + 1 : end].split(".")
        if len(labels) < 3 or not labels[-2].isalpha() or len(labels[-2]) < 2:
            return None
        end -= len(labels[-1]) + 1
    # "git@github.com:org/repo.git" is an SSH remote, not a mailbox.
    if (
        end < len(text) - 1
        and text[end] == ":"
        and (text[end + 1].isalnum() or text[end + 1] in "/~")
    ):
        return None
    # "https://publickey@host/..." (Sentry DSNs and other URL user info) is not a mailbox.
    if text.endswith("://", 0, start):
        return None
    line_start = text.rfind("\n", 0, start) + 1
    if _MESSAGE_ID_HEADER.match(text, line_start):
        return None
    # "scheme://user:password@host": the part before @ is a credential, not a mailbox
    # (but "https://host/u/bob@example.org" has an address in its path).
    scheme = text.rfind("://", max(0, start - 256), start)
    if scheme >= 0 and text[start - 1] == ":":
        authority = text[scheme + 3 : start]
        if "/" not in authority and " " not in authority and "\n" not in authority:
            return None
    return end


# A run of digits with phone punctuation, optionally led by "+"; 7-15 digits checked below.
# The first character comes first and the look-behind after it, so that the regex engine
# can skip quickly to candidate characters.
_PHONE_CANDIDATE = re.compile(
    r"[+(0-9](?<![\w.+/#-][+(0-9])[0-9 \-.()]{5,22}[0-9]"
    r"(?![\w]|[.\-/:][0-9])"
)
_NON_DIGITS = re.compile(r"\D+")
# Groupings a North American national number is written in.
_NANP_GROUPS = frozenset({(10,), (3, 3, 4), (1, 3, 3, 4), (3, 7), (1, 10)})
_NANP_REGIONS = frozenset({"US", "CA"})
_VALID = phonenumbers.Leniency.VALID


def find_phones(text: str, region: str = "US") -> list[Detection]:
    """Phone numbers, validated by libphonenumber (leniency VALID) on candidate runs only.

    A national number that is not valid in ``region`` is tried in the regions the text
    names (see :mod:`phone_regions`); "00" starts an international number.
    """
    found: list[Detection] = []
    located: list[tuple[int, str]] | None = None  # region hints, looked up once if needed
    for m in _PHONE_CANDIDATE.finditer(text):
        candidate = m.group()
        if candidate[0] == "(" and ")" not in candidate:
            continue
        groups = [g for g in _NON_DIGITS.split(candidate) if g]
        digits = sum(len(g) for g in groups)
        if not 7 <= digits <= 15:
            continue
        if "ISBN" in text[max(0, m.start() - 12) : m.start()].upper():
            continue
        international = candidate.startswith("+")
        spans: tuple[tuple[int, int], ...] = ()
        if (
            international
            or region not in _NANP_REGIONS
            or tuple(len(g) for g in groups) in _NANP_GROUPS
        ):
            spans = _validated_phones(candidate, region)
        if not spans and not international and _national_shape(text, m, groups):
            if located is None:
                located = located_region_hints(text)
            if _national_elsewhere(text, m, len(groups), region, located):
                spans = ((0, len(candidate)),)
        for start, end in spans:
            found.append(
                Detection(PHONE, m.start() + start, m.start() + end, "phone", PHONE_PRIORITY)
            )
    return found


# Groupings of US SSNs ("078-05-1120"), and dates ("2024-05-14", "14.05.2024"), which may
# start a longer run ("2018-06-09 (8 items)").
_NOT_NATIONAL_GROUPS = frozenset({(3, 2, 4)})
_DATE_GROUPS = frozenset({(4, 2, 2), (2, 2, 4)})
# A code group right before ("NL21 YINM 0149 8899 83", "1Z 999 AA1 01 2345 6784"): the
# digits continue an IBAN or a tracking number.
_CODE_BEFORE = re.compile(r"(?:\b[A-Z0-9]{4}|\b(?=[A-Z]*[0-9])[A-Z0-9]{2,4})[ -]$")


def _national_shape(text: str, m: re.Match[str], groups: list[str]) -> bool:
    """Written in groups the way phone numbers are, not as a date, SSN or code tail."""
    lengths = tuple(len(g) for g in groups)
    if len(groups) < 2 or lengths in _NOT_NATIONAL_GROUPS or lengths[:3] in _DATE_GROUPS:
        return False
    # Dots join dates and versions; as a phone separator only in "06.12.34.56.78" style.
    if "." in m.group() and not (len(groups) >= 4 and all(len(g) == 2 for g in groups[1:])):
        return False
    return _CODE_BEFORE.search(text, max(0, m.start() - 5), m.start()) is None


# Words right before a number that say it is one ("call me on", "mobile:", "ring her at").
_PHONE_CUE = re.compile(
    r"(?i)\b(?:call|phone|tel|telephone|mobile|cell|ring|fax|whatsapp|text|reach)\b"
    r"[^\n0-9]{0,15}$"
)


def _national_elsewhere(
    text: str, m: re.Match[str], group_count: int, region: str, located: list[tuple[int, str]]
) -> bool:
    """Is the candidate a whole phone number of another region than ``region``?"""
    candidate = m.group()
    if candidate.startswith("00"):
        # "00" is the international call prefix of most of the world outside North America.
        return _valid_in("+" + candidate[2:], "ZZ")
    regions = [r for r in nearest_regions(located, m.start()) if r != region]
    # A trunk "0" and digit groups: a national format, even if the text names no country.
    trunk = candidate.lstrip("(").startswith("0") and group_count > 1
    if trunk:
        regions += [r for r in FALLBACK_REGIONS if r not in regions and r != region]
    for r in regions:
        if _valid_in(candidate, r):
            return True
    # "Call me on 07700 900123": a number in a reserved or unlisted range, with a phone cue
    # right before it, counts when its length and shape are possible in the likeliest region.
    return (
        trunk
        and _PHONE_CUE.search(text, max(0, m.start() - 30), m.start()) is not None
        and _possible_in(candidate, regions[0])
    )


def forget_numbers() -> None:
    """Empty the caches of phone numbers validated so far: they hold numbers found in
    the texts of jobs that are over (the analyzer calls this once it is idle)."""
    for cached in (_valid_in, _possible_in, _validated_phones):
        cached.cache_clear()


@functools.lru_cache(maxsize=4096)
def _valid_in(candidate: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(candidate, region))
    except phonenumbers.NumberParseException:
        return False


@functools.lru_cache(maxsize=4096)
def _possible_in(candidate: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number_with_reason(number) == _IS_POSSIBLE


_IS_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE


@functools.lru_cache(maxsize=4096)
def _validated_phones(candidate: str, region: str) -> tuple[tuple[int, int], ...]:
    # libphonenumber costs ~0.2 ms per candidate; one person's number recurs across a corpus.
    return tuple(
        (match.start, match.end)
        for match in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=_VALID)
    )
