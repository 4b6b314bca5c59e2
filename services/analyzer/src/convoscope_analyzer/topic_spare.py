"""A topic-model process started ahead of the next collection job (opt-in).

Each job that fits topic models starts its own child process (``topic_process``), whose
imports (scikit-learn, SciPy, NumPy) take about 2 s of CPU; on a busy machine a
collection job, short when little changed, waits for them. With
``CONVOSCOPE_TOPIC_PROCESS_SPARE`` the replica keeps one child started ahead, its imports
done while the replica is idle (at start, and after each collection job completes): the
next collection job takes it and a new one is started after that job. A spare holds
about 135 MB resident while it waits (measured), which is why it is off by default.
"""

from __future__ import annotations

from convoscope_analyzer.topic_process import TopicProcess

_enabled = False
_spare: TopicProcess | None = None


def configure(enabled: bool) -> None:
    """Turn spares on or off (the service's setting); on: start one now."""
    global _enabled
    _enabled = enabled
    if enabled:
        refill()
    else:
        close()


def take() -> TopicProcess | None:
    """The spare, for one job (None: spares off, none started, or it ended)."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None and not spare.running:
        spare.close()
        return None
    return spare


def refill() -> None:
    """Start a spare if spares are on and none waits (its imports run from now)."""
    global _spare
    if _enabled and _spare is None:
        spare = TopicProcess()
        spare.prepare()
        _spare = spare


def close() -> None:
    """End the spare (a replica stopping)."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        spare.close()
