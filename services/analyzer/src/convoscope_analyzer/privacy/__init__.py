"""Privacy: detect PII and secrets in a corpus and redact them before anything leaves the analyzer.

Pure logic (no I/O). Entry points: :func:`detect`, :class:`Redactor`,
:func:`redact_corpus` (or :func:`redact_corpus_in_place`), :func:`insights`,
:class:`PrivacyConfig` / :func:`privacy_config_from_env`.
"""

from convoscope_analyzer.privacy.config import PrivacyConfig, privacy_config_from_env
from convoscope_analyzer.privacy.corpus_redaction import redact_corpus, redact_corpus_in_place
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import BEST_EFFORT_TYPES, ENTITY_TYPES, STRUCTURED_TYPES
from convoscope_analyzer.privacy.errors import PrivacyConfigError, PrivacyError
from convoscope_analyzer.privacy.insights import insights
from convoscope_analyzer.privacy.redactor import Redactor
from convoscope_analyzer.privacy.scanner import detect, forget_found_values

__all__ = [
    "BEST_EFFORT_TYPES",
    "ENTITY_TYPES",
    "STRUCTURED_TYPES",
    "Detection",
    "PrivacyConfig",
    "PrivacyConfigError",
    "PrivacyError",
    "Redactor",
    "detect",
    "forget_found_values",
    "insights",
    "privacy_config_from_env",
    "redact_corpus",
    "redact_corpus_in_place",
]
