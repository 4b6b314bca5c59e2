"""Fixtures of the privacy unit tests."""

from __future__ import annotations

import pytest

from convoscope_analyzer.privacy import PrivacyConfig

from .scan_texts import scan_texts

SECRET = "unit-test-secret-0123456789abcdef"


@pytest.fixture
def default_config() -> PrivacyConfig:
    return PrivacyConfig.from_mapping({})


@pytest.fixture
def pseudonym_config() -> PrivacyConfig:
    return PrivacyConfig.from_mapping({"operators": "email=pseudonym", "secret": SECRET})


@pytest.fixture(scope="session")
def texts() -> list[str]:
    """The texts the privacy scan is compared on (built once: more than 10,000)."""
    found = scan_texts()
    assert len(found) >= 10_000
    return found
