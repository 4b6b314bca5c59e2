"""Analyse shards started range by range, while later ranges are still detected.

A runner that can (:class:`EarlyRunner`: the bus) gets each range's analyse shard as
soon as the range is redacted and the fallback language is settled
(``plan.settled_dominant``); ``sharded.run_sharded`` drives it through
:class:`EarlyStart`. Other runners start every shard after the last range.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar, runtime_checkable

from convoscope_analyzer.engine import EngineOptions
from convoscope_analyzer.engine.partial import ShardPartial
from convoscope_analyzer.engine.plan import ShardPlan
from convoscope_analyzer.held_partial import HeldPartial
from convoscope_analyzer.shard_corpus import ShardCorpus
from convoscope_analyzer.stages import stage

C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)
Ranges = list[tuple[int, int]]


class AnalyseStage(Protocol[C_contra]):
    """An analyse stage whose shards start one by one, as their ranges are ready."""

    def start(self, index: int, part: C_contra) -> None:
        """Start analysing range ``index``, whose conversations ``part`` holds (in the
        runner's form, as ``ShardCorpus.analysed`` gives them)."""
        ...

    def finished(self) -> Iterator[tuple[int, ShardPartial | HeldPartial]]:
        """Once every range is started: the partials, as the shards finish."""
        ...

    def close(self) -> None:
        """Stop waiting for the shards (the run ended, or every partial was read)."""
        ...


@runtime_checkable
class PatchedStage(Protocol[C_contra]):
    """An analyse stage whose shards can redo each range's redaction on the original
    range (the bus: they read it from the job's stored corpus), so only what the replay
    replaced has to reach them."""

    def start_patched(self, index: int, part: C_contra, patches: bytes) -> None:
        """:meth:`AnalyseStage.start`, with the texts the replay replaced in range
        ``index`` (``shard_redaction.encode_patches``; ``b""``: none), from which
        ``shard_redaction.apply_patches`` redoes its redaction on the original."""
        ...


@runtime_checkable
class EarlyRunner(Protocol[C_contra]):
    """A runner whose analyse shards can start before every range is redacted (the bus:
    the inputs are written and the tasks published one range at a time, while later
    ranges are still detected)."""

    def start_analysis(
        self, ranges: Ranges, plan: ShardPlan, options: EngineOptions
    ) -> AnalyseStage[C_contra]:
        """The analyse stage of ``ranges`` under ``plan``, no range started yet."""
        ...


class EarlyStart(Generic[C]):
    """Starts the analyse shards of an :class:`EarlyRunner` range by range: each once it
    is redacted and the fallback language is settled (those ready before then, together
    then). Other runners start them all after the last range (``runner.analyze``)."""

    def __init__(
        self,
        runner: object,
        access: ShardCorpus[C],
        ranges: Ranges,
        options: EngineOptions,
        privacy_on: bool,
    ) -> None:
        self.runner: EarlyRunner[C] | None = runner if isinstance(runner, EarlyRunner) else None
        # Whether the runner's stages take each range's patches (``PatchedStage``); with
        # privacy off there are none: the shards analyse the original ranges.
        self.patched = bool(getattr(self.runner, "patched", False))
        self._patches: dict[int, bytes] = {}
        self.access = access
        self.ranges = ranges
        self.options = options
        self.redacted = privacy_on  # whether the analysis reads the redacted ranges
        self.analysis: AnalyseStage[C] | None = None
        self.plan: ShardPlan | None = None
        self._ready = self._started = 0

    def ready(self, index: int, fallback: str | None, patches: bytes = b"") -> None:
        """Range ``index`` is redacted and kept (every one before it too); ``fallback`` is
        the fallback language once no later sample conversation can change it;
        ``patches``: what its replay replaced, encoded (when :attr:`patched` and privacy
        is on; else ``b""``)."""
        if self.runner is None:
            return
        if self.patched:
            self._patches[index] = patches
        self._ready = index + 1
        if self.analysis is None:
            if fallback is None:
                return
            self.plan = ShardPlan(fallback_language=fallback)
            with stage("shards_start", shards=len(self.ranges), ready=self._ready):
                self.analysis = self.runner.start_analysis(self.ranges, self.plan, self.options)
        while self._started < self._ready:
            start, end = self.ranges[self._started]
            part = self.access.analysed(start, end, redacted=self.redacted)
            if self.patched and isinstance(self.analysis, PatchedStage):
                self.analysis.start_patched(self._started, part, self._patches.pop(self._started))
            else:
                self.analysis.start(self._started, part)
            self._started += 1

    def close(self) -> None:
        """Stop the stage's waiting, whatever ended the run."""
        if self.analysis is not None:
            self.analysis.close()
