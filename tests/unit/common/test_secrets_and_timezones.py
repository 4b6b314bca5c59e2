"""Secrets from files, per-owner pseudonym keys, one name per time zone (issue 15)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convoscope_analyzer.privacy import PrivacyConfig, privacy_config_from_env
from convoscope_analyzer.privacy.errors import PrivacyConfigError
from convoscope_analyzer.privacy.redactor import Redactor
from convoscope_common.cache import cache_key
from convoscope_common.config import ConfigurationError, load_settings
from convoscope_common.options import AnalysisOptions
from convoscope_common.timezones import UnknownTimezoneError, canonical_timezone

SECRET = "a-deployment-secret-of-some-length"


def test_every_setting_can_come_from_a_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("k1,k2\n")
    password = tmp_path / "pw"
    password.write_text("s3cret\n")
    settings = load_settings(
        {
            "CONVOSCOPE_API_KEYS_FILE": str(keys),
            "CONVOSCOPE_NATS_PASSWORD_FILE": str(password),
            "CONVOSCOPE_NATS_USER": "gateway",
        }
    )
    assert settings.api_keys == ("k1", "k2")
    assert settings.nats_password == "s3cret"  # the trailing newline is not the secret
    # The variable itself wins over the file.
    both = {"CONVOSCOPE_NATS_PASSWORD": "direct", "CONVOSCOPE_NATS_PASSWORD_FILE": str(password)}
    assert load_settings(both).nats_password == "direct"


def test_an_unreadable_secret_file_names_the_variable_not_the_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CONVOSCOPE_PSEUDONYM_SECRET_FILE"):
        load_settings({"CONVOSCOPE_PSEUDONYM_SECRET_FILE": str(tmp_path / "missing")})
    bad = tmp_path / "port"
    bad.write_text("not-a-number-but-secret")
    with pytest.raises(ConfigurationError) as info:
        load_settings({"CONVOSCOPE_PORT_FILE": str(bad)})
    assert "not-a-number-but-secret" not in str(info.value)


def test_privacy_settings_read_their_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    config = privacy_config_from_env(
        {
            "CONVOSCOPE_PSEUDONYM_SECRET_FILE": str(secret),
            "CONVOSCOPE_PRIVACY_OPERATORS": "email=pseudonym",
        }
    )
    assert config.secret == SECRET
    with pytest.raises(PrivacyConfigError, match="_FILE"):
        privacy_config_from_env({"CONVOSCOPE_PSEUDONYM_SECRET_FILE": str(tmp_path / "none")})


def _pseudonym_of(config: PrivacyConfig, text: str) -> str:
    redacted, _ = Redactor(config).redact_text(text)
    return redacted


def test_pseudonyms_differ_between_owners_and_are_stable_within_one() -> None:
    config = PrivacyConfig.from_mapping({"operators": {"email": "pseudonym"}, "secret": SECRET})
    text = "write to alice@example.com"
    alice = _pseudonym_of(config.for_owner("owner-a"), text)
    again = _pseudonym_of(config.for_owner("owner-a"), text)
    mallory = _pseudonym_of(config.for_owner("owner-b"), text)
    assert alice == again and "alice@example.com" not in alice
    # Mallory hashing "alice@example.com" under her own key learns nothing about Alice's.
    assert alice != mallory
    # And neither equals the pseudonym under the bare deployment secret.
    assert alice != _pseudonym_of(config, text)
    assert config.for_owner("owner-a").secret != SECRET
    # Without a secret there is nothing to derive.
    plain = PrivacyConfig()
    assert plain.for_owner("x") is plain


@pytest.mark.parametrize("alias", ["UTC", "Etc/UTC", "Zulu", "Etc/GMT", "GMT0", " UTC "])
def test_utc_aliases_are_one_zone(alias: str) -> None:
    assert canonical_timezone(alias) == "UTC"


def test_aliases_share_one_cache_key() -> None:
    keys = {
        cache_key("sha256:aa", AnalysisOptions(timezone=canonical_timezone(name)))
        for name in ("UTC", "Etc/UTC", "Etc/Universal")
    }
    assert len(keys) == 1


def test_links_resolve_to_their_zone_and_real_zones_stay() -> None:
    assert canonical_timezone("Europe/Paris") == "Europe/Paris"
    if os.path.islink("/usr/share/zoneinfo/US/Pacific"):
        assert canonical_timezone("US/Pacific") == "America/Los_Angeles"


def test_localtime_is_the_hosts_zone_by_name_or_refused() -> None:
    try:
        name = canonical_timezone("localtime")
    except UnknownTimezoneError:
        return  # a host whose /etc/localtime is not a link: refused, never cached under it
    assert name != "localtime"
    assert canonical_timezone(name) == name


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../etc/passwd", "", "posixrules/../x"])
def test_unknown_zones_are_refused(bad: str) -> None:
    with pytest.raises(UnknownTimezoneError):
        canonical_timezone(bad)


def test_a_key_file_may_list_one_key_a_line(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("sha256:" + "a" * 64 + "\nkey-two\n\n")
    settings = load_settings({"CONVOSCOPE_API_KEYS_FILE": str(keys)})
    assert settings.api_keys == ("sha256:" + "a" * 64, "key-two")
