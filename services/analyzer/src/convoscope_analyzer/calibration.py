"""How fast this machine runs the engine: a fixed workload timed at startup.

The throughput prior (``convoscope_common.throughput``) was measured on one machine;
until this deployment has finished a job of its own, the gateway's first estimate is
that prior scaled by how much faster or slower this machine runs the same fixed work
(``calibrated_prior``). The work stands for the engine's per-message cost: the privacy
scan and the sentiment scoring of a few thousand fixed texts, built from templates with
no randomness, so every machine times the same thing. Only the modules a job loads
anyway are used (no scikit-learn, SciPy or NumPy in the analyzer process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from convoscope_analyzer.engine.sentiment import default_model
from convoscope_analyzer.privacy.scanner import detect
from convoscope_common.logs import get_logger
from convoscope_common.storage import Stores
from convoscope_common.throughput import (
    calibrated_prior,
    read_throughput,
    store_calibrated_prior,
)

log = get_logger(__name__)

# Seconds after the replica is up before timing: `make run` starts every service at
# once, and their imports would slow the workload down.
DELAY = 5.0

# Texts of the kinds an export holds: short asks, complaints, thanks, longer prose
# with addresses, numbers and code in it (what the scan and the scoring look at).
_TEMPLATES = (
    "Can you help me rewrite this paragraph about {topic}? It feels too long.",
    "That is not what I asked, the {topic} answer is still wrong and it keeps failing.",
    "Thanks, this works great! The {topic} part was exactly what I needed.",
    "My email is user{n}@example.com and my phone is (555) 01{d}-4{d}{d}7, "
    "please draft a short note to the {topic} team.",
    "I tried `pip install {topic}` and got ModuleNotFoundError: No module named '{topic}'. "
    "Why does it still not work after the update?",
    "Here is the summary of the meeting on {topic}: we agreed to ship on Friday, "
    "Anna will review the draft, and the budget stays at 4,{d}00 dollars for now.",
    "Ugh, this is frustrating. I have asked three times and the {topic} code never runs.",
    "Please explain the difference between {topic} and its alternatives in simple words, "
    "with one example each and a short table at the end.",
)
_TOPICS = (
    "pandas",
    "garden",
    "invoice",
    "kubernetes",
    "recipe",
    "resume",
    "travel",
    "physics",
    "poetry",
    "taxes",
)
TEXTS = 4000  # about 0.12 s of work on the reference machine
RUNS = 5  # timings at startup, the fastest kept


def workload_texts(count: int = TEXTS) -> list[str]:
    """The fixed texts of the workload (the same on every machine)."""
    # Each text distinct (a numbered note after the template), as in a real export.
    return [
        _TEMPLATES[i % len(_TEMPLATES)].format(
            topic=_TOPICS[(i // len(_TEMPLATES)) % len(_TOPICS)], n=i, d=i % 10
        )
        + f" (note {i})"
        for i in range(count)
    ]


def run_workload(texts: list[str]) -> int:
    """Scan and score ``texts`` the way a job does; returns a count (so nothing is
    optimised away and tests can see the work was done)."""
    model = default_model()
    found = 0
    for text in texts:
        found += len(detect(text))
        if model.compound(text) < 0:
            found += 1
    return found


def best_seconds(
    texts: list[str], runs: int = RUNS, clock: Callable[[], float] = time.thread_time
) -> float:
    """The fastest of ``runs`` timings of the workload, in CPU seconds of the thread that
    runs it: the machine's speed, not how busy it is at that moment (a replica calibrates
    while the other services start and the first upload is parsed; timed by the wall
    clock in the stack, it came out 1.3-1.7x slower than on the idle machine)."""
    run_workload(texts[:50])  # lexicons and patterns loaded before the first timing
    best = float("inf")
    for _ in range(runs):
        start = clock()
        run_workload(texts)
        best = min(best, clock() - start)
    return best


async def calibrate(
    stores: Stores, idle: Callable[[], bool], *, delay: float = DELAY, runs: int = RUNS
) -> bool:
    """Once the replica has been up ``delay`` seconds and is idle (``idle()``), time the
    workload and store the prior scaled to this machine, unless a job has already been
    measured. A job that starts meanwhile disturbs the timing: nothing is stored then
    (the job's own measurement follows). True when a calibrated prior was stored."""
    await asyncio.sleep(delay)
    if not idle() or (await read_throughput(stores)).samples > 0:
        return False
    seconds = await asyncio.to_thread(best_seconds, workload_texts(), runs)
    if not idle():
        return False
    model = calibrated_prior(seconds)
    stored = await store_calibrated_prior(stores, model)
    log.info(
        "throughput_calibrated",
        workload_seconds=round(seconds, 4),
        factor=round(model.calibration, 3),
        messages_per_second=round(model.messages_per_second),
        stored=stored,
    )
    return stored


if __name__ == "__main__":
    # ``python -m convoscope_analyzer.calibration``: time the workload here (how the
    # reference figure in convoscope_common.throughput was taken).
    texts = workload_texts()
    for _ in range(3):
        print(f"{best_seconds(texts):.4f}")
