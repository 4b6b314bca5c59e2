"""Measured analysis throughput, shared by analyzers (writers) and gateways (readers).

The model: a job of ``m`` messages takes ``overhead + m / messages_per_second`` seconds
on one analyzer process ("one lane"). A sharded job spreads ``parallel_share`` of that
work over the analyzer processes that take its shards, and the rest (reading the corpus,
redaction replay, the plan, the merge, storing) stays on the coordinating run:
``overhead + m / rate * ((1 - p) + p / lanes)``.

Every finished job is folded in as its one-lane time: a sharded job's coordinator
measures the wall time its shard stages took and the work its shards did (summed over
shards), so ``seconds - shard_wall + shard_work`` is what the job would have taken on
one lane, and ``shard_work`` over that is its parallel share.

Until then the prior stands in, scaled to the machine: an analyzer, once up and idle,
times a fixed workload (``convoscope_analyzer.calibration``) and stores the prior
scaled by how much faster or slower than the reference machine it ran
(:func:`store_calibrated_prior`), never over a measured model.
"""

from __future__ import annotations

import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from convoscope_common.storage import Stores

THROUGHPUT_KEY = "_throughput"
# Collection analyses that reused the pieces of an earlier one (incremental analysis)
# have a model of their own: their time is mostly work over the whole corpus (reading,
# merging, storing), not per analysed message, and folded into the model above they made
# every later estimate several times too short (60,000 messages "analysed" in 2 s).
# Fitted on (messages of the corpus, seconds less the analysed messages' one-lane time),
# from no overhead: :func:`incremental_seconds` adds the new messages back.
INCREMENTAL_KEY = "_throughput_incremental"
# Until the first job has been measured, a prior stands in: the sharded pipeline on a
# quiet 2-core machine, through the running stack, on the generated 94 MB claude.ai
# export of docs/performance.md (63,704 messages). Measured 2026-12-02 (bench/bench_e2e.py,
# fresh stacks, load ~1.8): 13.34 s on one analyzer, 8.23 s on two; with 2 s of
# overhead that is 63,704 / 11.34 s = 5,600 messages/s of one-lane work, and 6.23 s =
# 11.34 s x (1 - p/2) gives 90 % of it in shards. The same machine after a restart, six
# pairs at 04:23-04:30 UTC: 12.5-14.0 s and 7.7-10.7 s (medians 13.3 and 8.5). (The
# earlier 2,400/s, taken on an older engine and a slower day of the same machine, said
# 2.0-2.3x the actual time by then.) The analyzers scale it to their machine
# (REFERENCE_SECONDS); the first finished job replaces it with what this deployment
# measures.
_PRIOR = (5600.0, 2.0)
_PRIOR_PARALLEL = 0.9
# The analyzer's calibration workload (``python -m convoscope_analyzer.calibration``,
# then best of 3, CPU seconds of its thread; the analyzers take the best of 5) on the
# same machine and engine right after those pairs: 0.116-0.138 s in eight timings of
# nine (one 0.18 s). A machine that runs it in half the time gets twice the rate (and
# half the overhead) until it measures a job.
REFERENCE_SECONDS = 0.120
# A calibration further off than this is more likely a disturbed timing than a machine.
_MIN_FACTOR, _MAX_FACTOR = 0.2, 5.0
_KEEP = 24  # the newest jobs kept for the fit
_MAX_OVERHEAD = 30.0


class Throughput(msgspec.Struct, kw_only=True):
    """Analysis time as ``overhead_seconds + messages / messages_per_second`` on one lane.

    Fitted by least squares over the newest jobs (``recent``: messages, one-lane
    seconds), so that a stream of tiny jobs, whose time is nearly all fixed overhead,
    does not make a large job look slow (a rate per job would: 10 messages in 0.5 s is
    "20 msg/s"). ``parallel_share`` comes from the newest sharded jobs.
    """

    messages_per_second: float = _PRIOR[0]
    overhead_seconds: float = _PRIOR[1]
    parallel_share: float = _PRIOR_PARALLEL
    samples: int = 0
    sharded_samples: int = 0
    recent: list[tuple[int, float]] = msgspec.field(default_factory=list)
    # How much faster than the reference machine the prior was scaled for (0: it was not).
    calibration: float = 0.0

    def seconds_for(self, messages: int, lanes: int = 1) -> float:
        """Expected seconds for a job of ``messages`` messages whose shards ``lanes``
        analyzer processes share (1: not sharded)."""
        work = messages / self.messages_per_second
        if lanes > 1:
            work *= (1 - self.parallel_share) + self.parallel_share / lanes
        return self.overhead_seconds + work


_decoder = msgspec.msgpack.Decoder(Throughput)


def _unmeasured(key: str) -> Throughput:
    # The incremental model starts from no overhead: until jobs of different sizes
    # separate the two, its time is all rate (the main model's prior overhead would be
    # added to a time that includes it).
    return Throughput(overhead_seconds=0.0) if key == INCREMENTAL_KEY else Throughput()


async def read_throughput(stores: Stores, key: str = THROUGHPUT_KEY) -> Throughput:
    """The current estimate (unmeasured, ``samples == 0``: the prior) of the model under
    ``key`` (:data:`THROUGHPUT_KEY`, or :data:`INCREMENTAL_KEY`)."""
    try:
        entry = await stores.jobs.get(key)
    except Exception:
        return _unmeasured(key)
    return _decoder.decode(entry.value) if entry.value else _unmeasured(key)


def incremental_seconds(
    incremental: Throughput, full: Throughput, messages: int, new_messages: int
) -> float:
    """Expected seconds of a collection analysis that reuses an earlier one's pieces:
    the work over all ``messages`` (``incremental``) and the ``new_messages`` analysed
    afresh at the one-lane rate (``full``)."""
    return incremental.seconds_for(messages) + new_messages / full.messages_per_second


def whole_corpus_seconds(full: Throughput, seconds: float, analysed_messages: int) -> float:
    """What the incremental model learns from a run of ``seconds`` that analysed
    ``analysed_messages`` afresh: the rest of its time (never below a tenth of it)."""
    return max(seconds - analysed_messages / full.messages_per_second, 0.1 * seconds)


def calibrated_prior(
    measured_seconds: float, reference_seconds: float = REFERENCE_SECONDS
) -> Throughput:
    """The prior scaled to a machine that ran the calibration workload in
    ``measured_seconds`` (the reference machine: ``reference_seconds``)."""
    if measured_seconds <= 0 or reference_seconds <= 0:
        return Throughput()
    factor = min(_MAX_FACTOR, max(_MIN_FACTOR, reference_seconds / measured_seconds))
    return Throughput(
        messages_per_second=_PRIOR[0] * factor,
        overhead_seconds=_PRIOR[1] / factor,
        calibration=factor,
    )


async def store_calibrated_prior(stores: Stores, model: Throughput) -> bool:
    """Store ``model`` (a calibrated prior) unless a measured model is stored: created
    when the key is absent, replacing only an unmeasured one at the revision read (so a
    job recorded meanwhile is never overwritten) and only by a faster machine figure —
    a timing is only ever slowed by what else runs, so the replicas' fastest stands.
    True when it was stored."""
    data = msgspec.msgpack.encode(model)
    for _ in range(3):  # another writer between the read and the write: look again
        try:
            entry = await stores.jobs.get(THROUGHPUT_KEY)
        except KeyNotFoundError:  # absent or deleted
            try:
                await stores.jobs.create(THROUGHPUT_KEY, data)
                return True
            except KeyWrongLastSequenceError:
                continue
        current = _decoder.decode(entry.value) if entry.value else Throughput()
        if current.samples > 0 or current.calibration >= model.calibration > 0:
            return False
        try:
            await stores.jobs.update(THROUGHPUT_KEY, data, last=entry.revision)
            return True
        except KeyWrongLastSequenceError:
            continue
    return False


def updated(
    current: Throughput,
    messages: int,
    seconds: float,
    *,
    shard_wall: float = 0.0,
    shard_work: float = 0.0,
) -> Throughput:
    """Fold one finished job (``messages`` analysed in ``seconds``) into the model.

    A sharded job also gives the wall time of its shard stages and the seconds its shards
    computed, summed (``shard_work``); a job that was not sharded gives neither.
    """
    if messages <= 0 or seconds <= 0:
        return current
    share, sharded = current.parallel_share, current.sharded_samples
    if shard_wall > 0 and shard_work > 0 and shard_wall <= seconds:
        one_lane = seconds - shard_wall + shard_work
        measured = shard_work / one_lane
        # The newest sharded jobs weigh most; the first one replaces the prior.
        share = measured if sharded == 0 else 0.5 * share + 0.5 * measured
        sharded += 1
        seconds = one_lane
    recent = [*current.recent, (messages, seconds)][-_KEEP:]
    rate, overhead = _fit(recent, current.overhead_seconds)
    return Throughput(
        messages_per_second=rate,
        overhead_seconds=overhead,
        parallel_share=share,
        samples=current.samples + 1,
        sharded_samples=sharded,
        recent=recent,
    )


def _fit(recent: list[tuple[int, float]], overhead: float) -> tuple[float, float]:
    """(messages per second, overhead seconds) from the jobs in ``recent``."""
    sizes = [m for m, _ in recent]
    if len(recent) >= 2 and max(sizes) >= 2 * min(sizes):
        n = len(recent)
        mean_m = sum(sizes) / n
        mean_s = sum(s for _, s in recent) / n
        spread = sum((m - mean_m) ** 2 for m in sizes)
        slope = sum((m - mean_m) * (s - mean_s) for m, s in recent) / spread
        intercept = mean_s - slope * mean_m
        if slope > 0 and 0 <= intercept <= _MAX_OVERHEAD:
            return 1 / slope, intercept
    # Sizes too alike to separate overhead from per-message cost: the rate of the
    # newest of the largest jobs, overhead included (it errs on the slow side).
    messages, seconds = max(reversed(recent), key=lambda job: job[0])
    return messages / seconds, overhead


async def record_throughput(
    stores: Stores,
    messages: int,
    seconds: float,
    *,
    shard_wall: float = 0.0,
    shard_work: float = 0.0,
    key: str = THROUGHPUT_KEY,
) -> Throughput:
    """Store the model under ``key`` updated with one finished job, and return it."""
    current = await read_throughput(stores, key)
    model = updated(current, messages, seconds, shard_wall=shard_wall, shard_work=shard_work)
    await stores.jobs.put(key, msgspec.msgpack.encode(model))
    return model


def expected_lanes(messages: int, analyzers: int, shard_min_messages: int, shards: int) -> int:
    """How many analyzer processes a job of ``messages`` messages will run on: its shards'
    number or the live analyzers, whichever is smaller, once it is large enough to shard."""
    if shards <= 1 or not shard_min_messages or messages < shard_min_messages:
        return 1
    return max(1, min(shards, analyzers))
