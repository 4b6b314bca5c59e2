"""Payment cards, IBANs and US social security numbers."""

from __future__ import annotations

import re

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
_DIGIT_RUN = re.compile(r"(?<![\w.,-])\d+(?:[ -]\d+)*(?![\w]|[.,-]\d)")
_SEPARATOR = re.compile(r"[ -]")


def find_cards(text: str) -> list[Detection]:
    """Payment card numbers: 12-19 digits, plausible issuer prefix and length, Luhn-valid.

    A digit run that is longer than a card (e.g. a card number followed by an expiry)
    is tried group by group from its start.
    """
    found: list[Detection] = []
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        if len(run) < 12:
            continue
        groups = _SEPARATOR.split(run)
        separators = set(_SEPARATOR.findall(run))
        if len(separators) > 1:
            continue
        digits = ""
        offset = 0
        best_end = -1
        for group in groups:
            digits += group
            offset += len(group)
            if len(digits) > 19:
                break
            if 12 <= len(digits) and card_iin_plausible(digits) and luhn_valid(digits):
                best_end = offset
            offset += 1  # the separator
        if best_end > 0:
            found.append(
                Detection(CREDIT_CARD, m.start(), m.start() + best_end, "card", CARD_PRIORITY)
            )
    return found


_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
)


def find_ibans(text: str) -> list[Detection]:
    """IBANs with or without spaces, checked by country length and mod-97."""
    found: list[Detection] = []
    for m in _IBAN.finditer(text):
        raw = m.group()
        compact = raw.replace(" ", "")
        end = m.end()
        if not iban_valid(compact):
            # The greedy match may have swallowed a following word ("... DE89 ... 00 Bank").
            expected = IBAN_LENGTHS.get(compact[:2])
            if expected is None or len(compact) <= expected:
                continue
            trimmed = _trim_to(raw, expected)
            if trimmed is None or not iban_valid(trimmed.replace(" ", "")):
                continue
            end = m.start() + len(trimmed)
        found.append(Detection(IBAN, m.start(), end, "iban", IBAN_PRIORITY))
    return found


def _trim_to(raw: str, length: int) -> str | None:
    count = 0
    for i, ch in enumerate(raw):
        if ch != " ":
            count += 1
            if count == length:
                return raw[: i + 1]
    return None


_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|-\d)")
# Nine bare digits count only next to words that say what they are.
_SSN_BARE = re.compile(
    r"(?i:\b(?:ssn|social security(?: number| no\.?| #)?|ss#)\s*[:#]?\s*)(\d{3})(\d{2})(\d{4})\b"
)


def find_ssns(text: str) -> list[Detection]:
    """US social security numbers: ``123-45-6789`` / ``123 45 6789``, or 9 digits after "SSN"."""
    found: list[Detection] = []
    for m in _SSN.finditer(text):
        if ssn_valid(m.group(1), m.group(3), m.group(4)):
            found.append(Detection(SSN, m.start(), m.end(), "ssn", SSN_PRIORITY))
    for m in _SSN_BARE.finditer(text):
        if ssn_valid(m.group(1), m.group(2), m.group(3)):
            found.append(Detection(SSN, m.start(1), m.end(3), "ssn", SSN_PRIORITY))
    return found
