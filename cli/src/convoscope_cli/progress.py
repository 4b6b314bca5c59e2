"""Progress output: a bar on a terminal, one line per step otherwise, nothing with --quiet.

Everything goes to stderr so that stdout carries only the summary (or the ``--json``
object). The bar is refreshed by the caller's updates, never by a background thread,
so the process can fork its rendering workers safely.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

# Redraw the bar at most this often (seconds).
_REFRESH = 0.1


class Reporter(Protocol):
    """Receives overall progress (0..1), the current step and new insights."""

    def start(self, total_messages: int) -> None: ...

    def update(
        self, fraction: float, step: str, message: str = "", insights: list[str] | None = None
    ) -> None: ...

    def close(self) -> None: ...


class QuietReporter:
    """``--quiet`` and ``--json``: no progress output at all."""

    def start(self, total_messages: int) -> None:
        del total_messages

    def update(
        self, fraction: float, step: str, message: str = "", insights: list[str] | None = None
    ) -> None:
        del fraction, step, message, insights

    def close(self) -> None:
        return None


class _Throughput:
    """Messages per second since the analysis started (0 before the count is known)."""

    def __init__(self) -> None:
        self.total = 0
        self.started = 0.0

    def start(self, total_messages: int) -> None:
        self.total = total_messages
        self.started = time.monotonic()

    def text(self, fraction: float) -> str:
        elapsed = time.monotonic() - self.started
        if not self.total or elapsed <= 0:
            return ""
        return f"{self.total * fraction / elapsed:,.0f} msg/s"


class LineReporter:
    """Not a terminal: one line when the step changes, one per insight."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.step = ""
        self.rate = _Throughput()

    def start(self, total_messages: int) -> None:
        self.rate.start(total_messages)

    def update(
        self, fraction: float, step: str, message: str = "", insights: list[str] | None = None
    ) -> None:
        if step != self.step:
            self.step = step
            tail = f" ({message})" if message else ""
            print(f"[{fraction * 100:3.0f}%] {step}{tail}", file=self.stream, flush=True)
        for insight in insights or ():
            print(f"       {insight}", file=self.stream, flush=True)

    def close(self) -> None:
        return None


class BarReporter:
    """A terminal: a rich progress bar with the step, percentage, throughput and time."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.console = Console(file=stream or sys.stderr)
        self.progress = Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]:>12}"),
            TimeElapsedColumn(),
            console=self.console,
            auto_refresh=False,
            transient=False,
        )
        self.task = self.progress.add_task("Starting", total=100.0, rate="")
        self.rate = _Throughput()
        self.last_draw = 0.0
        self.progress.start()

    def start(self, total_messages: int) -> None:
        self.rate.start(total_messages)

    def update(
        self, fraction: float, step: str, message: str = "", insights: list[str] | None = None
    ) -> None:
        del message
        self.progress.update(
            self.task, completed=fraction * 100, description=step, rate=self.rate.text(fraction)
        )
        for insight in insights or ():
            self.progress.console.print(f"  • {insight}", highlight=False)
        now = time.monotonic()
        if insights or fraction >= 1.0 or now - self.last_draw >= _REFRESH:
            self.last_draw = now
            self.progress.refresh()

    def close(self) -> None:
        self.progress.refresh()
        self.progress.stop()


def make_reporter(*, quiet: bool, stream: IO[str] | None = None) -> Reporter:
    """The reporter for this process: quiet, a bar on a TTY, else plain lines."""
    if quiet:
        return QuietReporter()
    out = stream or sys.stderr
    if out.isatty():
        return BarReporter(out)
    return LineReporter(out)
