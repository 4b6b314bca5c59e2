"""The entity types the detector knows, and how they are named to people."""

from __future__ import annotations

EMAIL = "email"
PHONE = "phone"
SSN = "ssn"
CREDIT_CARD = "credit_card"
IBAN = "iban"
IP_ADDRESS = "ip_address"
STREET_ADDRESS = "street_address"
SECRET = "secret"
PERSON_NAME = "person_name"

ENTITY_TYPES: tuple[str, ...] = (
    EMAIL,
    PHONE,
    SSN,
    CREDIT_CARD,
    IBAN,
    IP_ADDRESS,
    STREET_ADDRESS,
    SECRET,
    PERSON_NAME,
)

# Validated by checksums or strict shapes; the evaluation targets apply to these.
STRUCTURED_TYPES: tuple[str, ...] = (EMAIL, PHONE, SSN, CREDIT_CARD, IBAN, IP_ADDRESS, SECRET)
# Found by heuristics and reported apart from the validated types.
BEST_EFFORT_TYPES: tuple[str, ...] = (PERSON_NAME,)

# Short names people type in configuration.
ALIASES: dict[str, str] = {
    "card": CREDIT_CARD,
    "credit_card": CREDIT_CARD,
    "creditcard": CREDIT_CARD,
    "ip": IP_ADDRESS,
    "ip_address": IP_ADDRESS,
    "address": STREET_ADDRESS,
    "street_address": STREET_ADDRESS,
    "name": PERSON_NAME,
    "person": PERSON_NAME,
    "person_name": PERSON_NAME,
    "secrets": SECRET,
    "api_key": SECRET,
}

PLACEHOLDER_LABELS: dict[str, str] = {t: t.upper() for t in ENTITY_TYPES}

# (singular, plural) for insights such as "Redacted 127 email addresses".
NOUNS: dict[str, tuple[str, str]] = {
    EMAIL: ("email address", "email addresses"),
    PHONE: ("phone number", "phone numbers"),
    SSN: ("US social security number", "US social security numbers"),
    CREDIT_CARD: ("payment card number", "payment card numbers"),
    IBAN: ("IBAN", "IBANs"),
    IP_ADDRESS: ("IP address", "IP addresses"),
    STREET_ADDRESS: ("street address", "street addresses"),
    SECRET: ("API key or secret", "API keys and secrets"),
    PERSON_NAME: ("possible person name", "possible person names"),
}


def canonical_entity_type(name: str) -> str | None:
    """Return the canonical entity type for ``name`` (or an alias), ``None`` if unknown."""
    key = name.strip().lower().replace("-", "_")
    if key in ENTITY_TYPES:
        return key
    return ALIASES.get(key)
