from __future__ import annotations

import pytest

from convoscope_analyzer.privacy import PrivacyConfig, PrivacyConfigError, privacy_config_from_env
from convoscope_analyzer.privacy.config import parse_operator_spec


def test_defaults_replace_every_type() -> None:
    config = PrivacyConfig.from_mapping({})
    ops = config.effective_operators()
    assert set(ops.values()) == {"replace"}
    assert "email" in ops and "person_name" in ops
    assert config.detect_names is True and config.default_region == "US"


def test_operator_spec_string_and_aliases() -> None:
    config = PrivacyConfig.from_mapping(
        {"operators": "email=mask, card=keep,ip=MASK", "secret": ""}
    )
    assert config.operator_for("email") == "mask"
    assert config.operator_for("credit_card") == "keep"
    assert config.operator_for("ip_address") == "mask"
    assert config.operator_for("phone") == "replace"


@pytest.mark.parametrize(
    "data",
    [
        {"operators": "email=shred"},
        {"operators": "shoe_size=mask"},
        {"operators": "email"},
        {"operators": "email=pseudonym"},  # no secret
        {"operators": "email=pseudonym", "secret": "short"},
        {"operators": 42},
        {"default_region": "USA"},
        {"detect_names": "maybe"},
        {"colour": "blue"},
    ],
)
def test_invalid_config_raises_typed_error(data: dict[str, object]) -> None:
    with pytest.raises(PrivacyConfigError):
        PrivacyConfig.from_mapping(data)


def test_config_is_frozen() -> None:
    config = PrivacyConfig.from_mapping({})
    with pytest.raises(AttributeError):
        config.secret = "x"  # type: ignore[misc]


def test_from_env() -> None:
    env = {
        "CONVOSCOPE_PRIVACY_OPERATORS": "email=mask,phone=pseudonym",
        "CONVOSCOPE_PSEUDONYM_SECRET": "s" * 32,
        "CONVOSCOPE_PRIVACY_DETECT_NAMES": "false",
        "CONVOSCOPE_PRIVACY_DEFAULT_REGION": "gb",
    }
    config = privacy_config_from_env(env)
    assert config.operator_for("email") == "mask"
    assert config.operator_for("phone") == "pseudonym"
    assert config.secret == "s" * 32
    assert config.detect_names is False
    assert config.default_region == "GB"


def test_from_empty_env_is_default() -> None:
    assert privacy_config_from_env({}) == PrivacyConfig.from_mapping({})


def test_parse_operator_spec_skips_empty_parts() -> None:
    assert parse_operator_spec("email=mask,, phone = keep ,") == {"email": "mask", "phone": "keep"}
