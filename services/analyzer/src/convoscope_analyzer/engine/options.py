"""What the caller passes in: engine options and the progress callback type."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from convoscope_analyzer.engine.taxonomy import Taxonomy
from convoscope_common.comparison_types import PriceTable
from convoscope_common.options import AnalysisOptions


class EngineOptions(msgspec.Struct, kw_only=True, frozen=True):
    """Which analyses to run and in which timezone to read the clock.

    Privacy is not an engine option: the privacy package redacts the corpus
    before the engine runs, and the worker attaches ``results.privacy``.
    """

    enable_quality: bool = True
    enable_temporal: bool = True
    enable_visualizations: bool = True
    timezone: str = "UTC"
    # None: the default taxonomy shipped with the package.
    taxonomy: Taxonomy | None = None
    # Gap that splits two sessions of activity.
    session_gap_minutes: int = 30
    # Prices that turn the usage estimate's tokens into a cost (None: tokens only).
    prices: PriceTable | None = None


def engine_options(
    options: AnalysisOptions, taxonomy: Taxonomy | None, prices: PriceTable | None
) -> EngineOptions:
    """The engine's options for a job's analysis options (one mapping for every runner:
    the one-process pipeline, the shard coordinator and the shard workers)."""
    return EngineOptions(
        enable_quality=options.enable_quality,
        enable_temporal=options.enable_temporal,
        enable_visualizations=options.enable_visualizations,
        timezone=options.timezone,
        taxonomy=taxonomy,
        prices=prices,
    )


class ProgressUpdate(msgspec.Struct, kw_only=True, frozen=True):
    """One progress report: the worker turns it into a ProgressEvent."""

    fraction: float  # 0..1, never decreasing within a run
    step: str  # e.g. "Analyzing sentiment"
    message: str = ""  # e.g. "Processed 8,234 of 12,394 messages"
    new_insights: list[str] = []  # insights found since the previous update


ProgressCallback = Callable[[ProgressUpdate], None]
Checkpoint = Callable[[], None]
