"""What replaces a detected value: typed placeholder, mask, keyed pseudonym, or the value."""

from __future__ import annotations

import hashlib
import hmac

from convoscope_analyzer.privacy.entities import (
    CREDIT_CARD,
    EMAIL,
    IBAN,
    IP_ADDRESS,
    PHONE,
    PLACEHOLDER_LABELS,
    SSN,
)

PSEUDONYM_HEX_DIGITS = 8


def normalise(entity_type: str, value: str) -> str:
    """The canonical form of a value, so that one value written two ways counts once."""
    if entity_type == EMAIL or entity_type == IP_ADDRESS:
        return value.lower()
    if entity_type in (PHONE, CREDIT_CARD, SSN):
        digits = "".join(ch for ch in value if ch.isdigit())
        # "+1 415 ..." and "(415) ..." are the same North American number.
        if entity_type == PHONE and len(digits) == 11 and digits[0] == "1":
            return digits[1:]
        return digits
    if entity_type == IBAN:
        return value.replace(" ", "").upper()
    return value.strip()


def placeholder(entity_type: str, number: int) -> str:
    """``<EMAIL_3>``: the typed placeholder of the ``number``-th distinct value."""
    return f"<{PLACEHOLDER_LABELS.get(entity_type, entity_type.upper())}_{number}>"


def mask(value: str) -> str:
    """Keep the shape (length, separators), hide every letter and digit."""
    return "".join("*" if ch.isalnum() else ch for ch in value)


def pseudonym(entity_type: str, normalised: str, secret: str) -> str:
    """``<EMAIL_7f3a9c21>``: HMAC-SHA256 of the value under the deployment secret.

    Stable across corpora of one deployment; without the secret no dictionary of
    candidate values can be hashed to reverse it.
    """
    message = f"{entity_type}\x00{normalised}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    label = PLACEHOLDER_LABELS.get(entity_type, entity_type.upper())
    return f"<{label}_{digest[:PSEUDONYM_HEX_DIGITS]}>"
