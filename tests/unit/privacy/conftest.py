"""Fixtures of the privacy unit tests."""

from __future__ import annotations

import pytest

from convoscope_analyzer.privacy import PrivacyConfig

SECRET = "unit-test-secret-0123456789abcdef"


@pytest.fixture
def default_config() -> PrivacyConfig:
    return PrivacyConfig.from_mapping({})


@pytest.fixture
def pseudonym_config() -> PrivacyConfig:
    return PrivacyConfig.from_mapping({"operators": "email=pseudonym", "secret": SECRET})
