"""Privacy configuration: which operator applies to which entity type."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import msgspec

from convoscope_analyzer.privacy.entities import ENTITY_TYPES, canonical_entity_type
from convoscope_analyzer.privacy.errors import PrivacyConfigError

OPERATORS: tuple[str, ...] = ("replace", "mask", "pseudonym", "keep")
DEFAULT_OPERATOR = "replace"
# HMAC keys shorter than this could be brute-forced from known plaintexts.
MIN_SECRET_LENGTH = 16

ENV_OPERATORS = "CONVOSCOPE_PRIVACY_OPERATORS"
ENV_SECRET = "CONVOSCOPE_PSEUDONYM_SECRET"
ENV_DETECT_NAMES = "CONVOSCOPE_PRIVACY_DETECT_NAMES"
ENV_DEFAULT_REGION = "CONVOSCOPE_PRIVACY_DEFAULT_REGION"


class PrivacyConfig(msgspec.Struct, kw_only=True, frozen=True):
    """How detected values are treated; build it with :meth:`from_mapping` to validate."""

    # entity type -> operator; types not listed use "replace".
    operators: dict[str, str] = {}
    secret: str = ""
    detect_names: bool = True
    default_region: str = "US"

    def for_owner(self, owner: str | None) -> PrivacyConfig:
        """This config with ``owner``'s own pseudonym key, derived from the deployment secret.

        HMAC(secret, owner) per owner: one tenant cannot hash guesses under its key
        and compare them with another tenant's pseudonyms (different keys give
        unrelated pseudonyms for the same value). Without keys there is one owner.
        """
        if not self.secret:
            return self
        derived = hmac.new(
            self.secret.encode(),
            b"convoscope-pseudonym-owner\x00" + (owner or "").encode(),
            hashlib.sha256,
        ).hexdigest()
        return msgspec.structs.replace(self, secret=derived)

    def operator_for(self, entity_type: str) -> str:
        """The operator applied to ``entity_type``."""
        return self.operators.get(entity_type, DEFAULT_OPERATOR)

    def effective_operators(self) -> dict[str, str]:
        """The operator of every entity type (for the report)."""
        return {t: self.operator_for(t) for t in ENTITY_TYPES}

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> PrivacyConfig:
        """Build and validate a config from a plain mapping.

        ``operators`` may be a mapping or a ``"email=mask,phone=pseudonym"`` string;
        entity type aliases (``card``, ``ip``, ``name``...) are accepted.
        Raises :class:`PrivacyConfigError` on any invalid value.
        """
        unknown = set(data) - {"operators", "secret", "detect_names", "default_region"}
        if unknown:
            raise PrivacyConfigError(f"unknown privacy settings: {sorted(unknown)}")
        raw_ops = data.get("operators", {})
        if isinstance(raw_ops, str):
            raw_ops = parse_operator_spec(raw_ops)
        if not isinstance(raw_ops, Mapping):
            raise PrivacyConfigError("operators must be a mapping or 'type=operator,...'")
        operators: dict[str, str] = {}
        for name, op in raw_ops.items():
            entity = canonical_entity_type(str(name))
            if entity is None:
                raise PrivacyConfigError(f"unknown entity type {name!r}")
            op_name = str(op).strip().lower()
            if op_name not in OPERATORS:
                raise PrivacyConfigError(f"unknown operator {op!r} for {entity}")
            operators[entity] = op_name
        secret = data.get("secret", "")
        if not isinstance(secret, str):
            raise PrivacyConfigError("secret must be a string")
        if "pseudonym" in operators.values() and len(secret) < MIN_SECRET_LENGTH:
            raise PrivacyConfigError(
                f"the pseudonym operator needs a secret of at least {MIN_SECRET_LENGTH} characters"
            )
        detect_names = data.get("detect_names", True)
        if isinstance(detect_names, str):
            detect_names = _parse_bool(detect_names)
        if not isinstance(detect_names, bool):
            raise PrivacyConfigError("detect_names must be a boolean")
        region = str(data.get("default_region", "US")).strip().upper()
        if len(region) != 2 or not region.isalpha():
            raise PrivacyConfigError("default_region must be a two-letter region code")
        return cls(
            operators=operators, secret=secret, detect_names=detect_names, default_region=region
        )


def parse_operator_spec(spec: str) -> dict[str, str]:
    """Parse ``"email=mask, phone=pseudonym"`` into a mapping (not yet validated)."""
    result: dict[str, str] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, op = part.partition("=")
        if not sep or not name.strip() or not op.strip():
            raise PrivacyConfigError(f"expected 'type=operator', got {part!r}")
        result[name.strip()] = op.strip()
    return result


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise PrivacyConfigError(f"expected a boolean, got {raw!r}")


def privacy_config_from_env(env: Mapping[str, str]) -> PrivacyConfig:
    """Build the config from ``CONVOSCOPE_*`` environment variables.

    Reads CONVOSCOPE_PRIVACY_OPERATORS ("email=mask,phone=pseudonym"),
    CONVOSCOPE_PSEUDONYM_SECRET, CONVOSCOPE_PRIVACY_DETECT_NAMES and
    CONVOSCOPE_PRIVACY_DEFAULT_REGION, each also from a file named by the same
    variable with ``_FILE`` appended. Raises :class:`PrivacyConfigError`.
    """
    values = {name: _env_value(env, name) for name in (ENV_OPERATORS, ENV_SECRET)}
    data: dict[str, object] = {
        "operators": values[ENV_OPERATORS] or "",
        "secret": values[ENV_SECRET] or "",
    }
    for key, name in (("detect_names", ENV_DETECT_NAMES), ("default_region", ENV_DEFAULT_REGION)):
        value = _env_value(env, name)
        if value is not None:
            data[key] = value
    return PrivacyConfig.from_mapping(data)


def _env_value(env: Mapping[str, str], name: str) -> str | None:
    """``name`` from the environment, or the content of the file ``<name>_FILE`` names."""
    path = env.get(f"{name}_FILE")
    if not path or env.get(name):
        return env.get(name)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n")
    except OSError as exc:
        raise PrivacyConfigError(f"{name}_FILE: cannot read {path!r}: {exc.strerror}") from None
