"""Progress reporting and cancellation checkpoints for one engine run."""

from __future__ import annotations

import time
from collections.abc import Callable

from convoscope_analyzer.engine.options import Checkpoint, ProgressCallback, ProgressUpdate

# Report at most this often inside a step (the worker needs >= 1 update per second).
REPORT_INTERVAL_S = 0.5
# Call the checkpoint every this many work items inside a step.
CHECKPOINT_EVERY = 200


class ProgressTracker:
    """Turns per-item work into throttled, monotonic progress updates.

    Steps are declared up front with relative weights; ``start_step`` and
    ``tick`` move a fraction that never decreases. The checkpoint callback is
    called between steps and every ``CHECKPOINT_EVERY`` items; whatever it
    raises propagates (that is how the worker cancels a job).
    """

    def __init__(
        self,
        weights: dict[str, float],
        progress: ProgressCallback | None,
        checkpoint: Checkpoint | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        total = sum(weights.values()) or 1.0
        self._starts: dict[str, float] = {}
        self._spans: dict[str, float] = {}
        acc = 0.0
        for step, weight in weights.items():
            self._starts[step] = acc / total
            self._spans[step] = weight / total
            acc += weight
        self._progress = progress
        self._checkpoint = checkpoint
        self._clock = clock
        self._step = ""
        self._unit = "items"
        self._total = 0
        self._done = 0
        self._fraction = 0.0
        self._last_report = float("-inf")
        self._pending_insights: list[str] = []
        self.insights: list[str] = []

    @property
    def fraction(self) -> float:
        """The last fraction reported (or that would have been reported)."""
        return self._fraction

    def check(self) -> None:
        """Run the cancellation checkpoint (its exception propagates)."""
        if self._checkpoint is not None:
            self._checkpoint()

    def start_step(self, step: str, total: int, unit: str = "messages") -> None:
        """Begin a declared step over ``total`` work items; always reports."""
        self.check()
        self._step = step
        self._unit = unit
        self._total = max(total, 0)
        self._done = 0
        self._advance(self._starts.get(step, self._fraction), force=True)

    def tick(self, n: int = 1) -> None:
        """Mark ``n`` items of the current step done; reports when due."""
        before = self._done
        self._done += n
        if self._done // CHECKPOINT_EVERY != before // CHECKPOINT_EVERY:
            self.check()
        # Reading the monotonic clock per item is cheap next to the work per item.
        if self._progress is not None and self._clock() - self._last_report >= REPORT_INTERVAL_S:
            self._advance(self._step_fraction(), force=True)

    def pulse(self) -> None:
        """A sign of life from work that cannot count items (e.g. model fitting):
        runs the checkpoint and repeats the current progress when one is due."""
        self.check()
        if self._progress is not None and self._clock() - self._last_report >= REPORT_INTERVAL_S:
            self._advance(self._step_fraction(), force=True)

    def insight(self, text: str) -> None:
        """Queue an insight for the next update (e.g. "Found 13 different topics")."""
        self._pending_insights.append(text)
        self.insights.append(text)

    def end_step(self) -> None:
        """Finish the current step: report its end and any queued insights."""
        self._done = self._total
        self._advance(self._step_fraction(), force=True)

    def finish(self) -> None:
        """Report completion (fraction 1.0)."""
        self.check()
        self._step = "Complete"
        self._advance(1.0, force=True, message="Analysis complete")

    def _step_fraction(self) -> float:
        start = self._starts.get(self._step, self._fraction)
        span = self._spans.get(self._step, 0.0)
        if self._total <= 0:
            return start + span if self._done else start
        return start + span * min(self._done, self._total) / self._total

    def _advance(self, fraction: float, *, force: bool, message: str | None = None) -> None:
        self._fraction = max(self._fraction, min(fraction, 1.0))
        if self._progress is None:
            self._pending_insights.clear()
            return
        now = self._clock()
        if not force and now - self._last_report < REPORT_INTERVAL_S:
            return
        self._last_report = now
        if message is None:
            message = f"Processed {self._done:,} of {self._total:,} {self._unit}"
        insights, self._pending_insights = self._pending_insights, []
        self._progress(
            ProgressUpdate(
                fraction=round(self._fraction, 4),
                step=self._step,
                message=message,
                new_insights=insights,
            )
        )
