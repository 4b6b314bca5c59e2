"""Payment cards, IBANs and US social security numbers."""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.candidates import Candidates, find_candidates, matches_at_runs
from convoscope_analyzer.privacy.checksums import (
    IBAN_LENGTHS,
    card_iin_plausible,
    iban_valid,
    luhn_valid,
    ssn_valid,
)
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import CREDIT_CARD, IBAN, SSN

IBAN_PRIORITY = 70
CARD_PRIORITY = 65
SSN_PRIORITY = 60

# A maximal run of digits joined by single spaces or dashes.
# (Patterns start with a character class and look behind afterwards: much faster scans.)
_DIGIT_RUN = re.compile(r"[0-9](?<![\w.,+-][0-9])[0-9]*(?:[ -][0-9]+)*(?![\w]|[.,-][0-9])")
_SEPARATOR = re.compile(r"[ -]")
# A 4-character code group right before the run: the run continues an IBAN or other code.
_CODE_GROUP_BEFORE = re.compile(r"[A-Z0-9]{4}[ -]$")
_GROUPINGS_15_14 = frozenset({(4, 6, 5), (4, 6, 4)})  # Amex, Diners


def _card_grouping(groups: list[int]) -> bool:
    """Cards are written in fours (last group shorter) or Amex/Diners 4-6-5 / 4-6-4."""
    if len(groups) == 1:
        return True
    if tuple(groups) in _GROUPINGS_15_14:
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4


def find_cards(text: str) -> list[Detection]:
    """Payment card numbers: 12-19 digits, plausible issuer prefix and length, Luhn-valid.

    Written plain or in groups (fours, or Amex 4-6-5). A card followed by a short
    space-separated group (CVV, "12/25" expiry) is still found.
    """
    found: list[Detection] = []
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        if len(run) < 12 or _CODE_GROUP_BEFORE.search(text, max(0, m.start() - 5), m.start()):
            continue
        groups = _SEPARATOR.split(run)
        separators = _SEPARATOR.findall(run)
        if len(set(separators)) > 1:
            continue
        for used in (len(groups), len(groups) - 1):
            if used < 1:
                break
            if used < len(groups):
                # Only one short trailing group after a space (CVV, expiry month).
                if separators[0] != " " or len(groups[-1]) > 3:
                    break
            digits = "".join(groups[:used])
            if (
                12 <= len(digits) <= 19
                and _card_grouping([len(g) for g in groups[:used]])
                and (card_iin_plausible(digits) or _card_named_before(text, m.start()))
                and luhn_valid(digits)
            ):
                end = m.start() + len(digits) + used - 1
                found.append(Detection(CREDIT_CARD, m.start(), end, "card", CARD_PRIORITY))
                break
    return found


# A card brand or "card" right before: a Luhn-valid number counts even when its issuer
# prefix is missing from our table (new ranges, co-branded and private-label cards).
_CARD_WORD_BEFORE = re.compile(
    r"(?i)\b(?:card|visa|mastercard|amex|american express|discover|jcb|diners(?: club)?"
    r"|unionpay|maestro|credit|debit|pan)\b[^\n0-9]{0,12}$"
)


def _card_named_before(text: str, start: int) -> bool:
    return _CARD_WORD_BEFORE.search(text, max(0, start - 40), start) is not None


_IBAN = re.compile(
    # Anchored on the two check digits; the country code is checked by look-behind.
    r"[0-9](?<=(?<![A-Za-z0-9])[A-Za-z]{2}[0-9])[0-9]"
    r"(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])"
)


def find_ibans(text: str, candidates: Candidates | None = None) -> list[Detection]:
    """IBANs with or without spaces, checked by country length and mod-97.

    The check digits start a digit run: the pattern is tried at the digit runs of
    ``candidates`` only (found here when not given).
    """
    if candidates is None:
        candidates = find_candidates(text)
    found: list[Detection] = []
    for m in matches_at_runs(_IBAN, text, candidates.runs):
        start = m.start() - 2
        raw = text[start : m.end()]
        compact = raw.replace(" ", "").upper()
        end = m.end()
        if not iban_valid(compact):
            # The greedy match may have swallowed a following word ("... DE89 ... 00 Bank").
            expected = IBAN_LENGTHS.get(compact[:2])
            if expected is None or len(compact) <= expected:
                continue
            trimmed = _trim_to(raw, expected)
            if trimmed is None or not iban_valid(trimmed.replace(" ", "").upper()):
                continue
            end = start + len(trimmed)
        found.append(Detection(IBAN, start, end, "iban", IBAN_PRIORITY))
    return found


def _trim_to(raw: str, length: int) -> str | None:
    count = 0
    for i, ch in enumerate(raw):
        if ch != " ":
            count += 1
            if count == length:
                return raw[: i + 1]
    return None


_SSN = re.compile(r"[0-9](?<![\w-][0-9])[0-9]{2}([- ])[0-9]{2}\1[0-9]{4}(?![\w]|-[0-9])")
# Nine bare digits count only next to words that say what they are.
_SSN_BARE = re.compile(
    r"(?i:\b(?:ssn|social security(?: number| no\.?| #)?|ss#)\s*(?:[:#]|(?:is|was)\b:?)?\s*)"
    r"(\d{3})(\d{2})(\d{4})\b"
)


def find_ssns(text: str) -> list[Detection]:
    """US social security numbers: ``123-45-6789`` / ``123 45 6789``, or 9 digits after "SSN"."""
    found: list[Detection] = []
    for m in _SSN.finditer(text):
        value = m.group()
        if ssn_valid(value[:3], value[4:6], value[7:]):
            found.append(Detection(SSN, m.start(), m.end(), "ssn", SSN_PRIORITY))
    lowered = text.lower()
    if "ssn" not in lowered and "social security" not in lowered and "ss#" not in lowered:
        return found
    for m in _SSN_BARE.finditer(text):
        if ssn_valid(m.group(1), m.group(2), m.group(3)):
            found.append(Detection(SSN, m.start(1), m.end(3), "ssn", SSN_PRIORITY))
    return found
