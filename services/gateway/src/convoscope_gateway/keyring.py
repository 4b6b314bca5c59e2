"""API keys held as hashes, compared in constant time.

``CONVOSCOPE_API_KEYS`` (or ``CONVOSCOPE_API_KEYS_FILE``) lists keys either in
clear or, better, as their verifier ``sha256:<hex>`` printed by
``python -m convoscope_gateway.keyring <key>``; the gateway keeps only verifiers
in memory either way. An owner id is the first 96 bits of the verifier, so the
owner of a key never changes when a deployment switches to hashed keys.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import sys

_HASHED = re.compile(r"^sha256:([0-9a-f]{64})$")
OWNER_CHARS = 24  # 96 bits


def verifier(key: str) -> str:
    """The stored form of ``key``: SHA-256 over a domain-separated key (hex)."""
    return hashlib.sha256(f"convoscope-owner:{key}".encode()).hexdigest()


def owner_digest(key: str) -> str:
    """A stable, non-reversible owner id for an API key."""
    return verifier(key)[:OWNER_CHARS]


def presented_key(headers: object) -> str | None:
    """The API key a request carries (``X-API-Key`` or ``Authorization: Bearer``), if any."""
    get = getattr(headers, "get")  # noqa: B009 - multidict and dict alike
    key = get("X-API-Key")
    if key:
        return str(key)
    auth = get("Authorization") or ""
    if isinstance(auth, str) and auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


class KeyRing:
    """The configured keys as verifiers; answers "whose key is this?"."""

    def __init__(self, entries: tuple[str, ...]) -> None:
        verifiers: list[bytes] = []
        for entry in entries:
            match = _HASHED.match(entry.strip().lower())
            verifiers.append((match.group(1) if match else verifier(entry)).encode())
        self._verifiers = tuple(verifiers)

    @property
    def enabled(self) -> bool:
        """Whether keys are configured at all."""
        return bool(self._verifiers)

    presented = staticmethod(presented_key)

    def owner_for(self, key: str | None) -> str | None:
        """The owner id of a valid key, else None (every verifier compared, in constant time)."""
        if key is None:
            return None
        candidate = verifier(key).encode()
        found: bytes | None = None
        for known in self._verifiers:
            # No early exit: the time taken does not depend on which key matched.
            if hmac.compare_digest(candidate, known):
                found = known
        return found.decode()[:OWNER_CHARS] if found is not None else None


@functools.lru_cache(maxsize=8)
def keyring_for(entries: tuple[str, ...]) -> KeyRing:
    """One KeyRing per configured key list (settings are immutable)."""
    return KeyRing(entries)


def main(argv: list[str] | None = None) -> int:
    """Print the ``sha256:`` verifier of each key given (for CONVOSCOPE_API_KEYS)."""
    keys = sys.argv[1:] if argv is None else argv
    if not keys:
        print("usage: python -m convoscope_gateway.keyring KEY [KEY...]", file=sys.stderr)
        return 2
    for key in keys:
        print(f"sha256:{verifier(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
