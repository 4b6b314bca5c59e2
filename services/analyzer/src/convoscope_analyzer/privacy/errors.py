"""Typed errors of the privacy package."""

from __future__ import annotations


class PrivacyError(Exception):
    """Base class of every error raised by the privacy package."""


class PrivacyConfigError(PrivacyError, ValueError):
    """The privacy configuration is invalid (unknown entity type or operator, weak secret)."""
