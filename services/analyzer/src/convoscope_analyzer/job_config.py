"""The settings every analysis runs with: redaction and the topic taxonomy.

Read the same way by the analyzer service (at start, so a bad setting stops it with one
line) and by the command line's in-process run.
"""

from __future__ import annotations

import os
from typing import Literal

from convoscope_analyzer.engine import Taxonomy, TaxonomyError, load_taxonomy
from convoscope_analyzer.privacy import PrivacyConfig, PrivacyConfigError, privacy_config_from_env
from convoscope_common.config import ConfigurationError, Settings


def load_job_config(settings: Settings) -> tuple[PrivacyConfig, Taxonomy | None]:
    """The redaction settings and topic taxonomy, or :class:`ConfigurationError`."""
    try:
        privacy = privacy_config_from_env(os.environ)
        taxonomy = None
        if settings.topic_taxonomy:
            replace = settings.topic_taxonomy_mode == "replace"
            mode: Literal["extend", "replace"] = "replace" if replace else "extend"
            taxonomy = load_taxonomy(settings.topic_taxonomy, mode)
    except (PrivacyConfigError, TaxonomyError) as exc:
        raise ConfigurationError(str(exc)) from None
    return privacy, taxonomy
