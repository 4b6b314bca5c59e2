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
# Until the first job has been measured, a prior stands in, measured through the stack on
# a 2-core machine with the generated 94 MB claude.ai export of docs/performance.md
# (63,600 messages), 2026-12-02 09:36-09:44 UTC, fresh stacks: one analyzer, the job in one
# piece, 7.9-9.2 s (five runs); with 2 s of overhead that is 63,600 / 6.7 s = 9,500
# messages/s. Split into shards the same work costs more: the shards' inputs and outputs
# go through the bus and each range is decoded twice. One analyzer taking every shard
# itself took 10.9-12.1 s (the split costs 1.35-1.7 times the work), two analyzers
# 5.7-8.1 s (1.1-1.55 times with 90 % of it in shards, depending on the machine's load):
# 1.4, and 90 %. (The earlier prior, 5,600/s, was taken from one analyzer that split its
# jobs: 1.5-1.9x the time of one that does not.) The analyzers scale the rate and the
# overhead to their machine (REFERENCE_SECONDS); the first finished job replaces them
# with what this deployment measures.
_PRIOR = (9500.0, 2.0)
_PRIOR_PARALLEL = 0.9
_PRIOR_SPLIT = 1.4
_MAX_SPLIT = 3.0
# Records written under another model are read as unmeasured (the prior, which the
# analyzers calibrate): version 0 fitted split jobs' time as it was.
MODEL_VERSION = 1
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
    """Analysis time as ``overhead_seconds + messages / messages_per_second`` for a job
    run in one piece by one analyzer.

    Fitted by least squares over the newest jobs (``recent``: messages, seconds in one
    piece), so that a stream of tiny jobs, whose time is nearly all fixed overhead, does
    not make a large job look slow (a rate per job would: 10 messages in 0.5 s is "20
    msg/s"). A job split into shards does ``split_cost`` times that work, of which
    ``parallel_share`` runs in its shards; both come from the newest sharded jobs.
    """

    version: int = MODEL_VERSION
    messages_per_second: float = _PRIOR[0]
    overhead_seconds: float = _PRIOR[1]
    parallel_share: float = _PRIOR_PARALLEL
    split_cost: float = _PRIOR_SPLIT
    samples: int = 0
    sharded_samples: int = 0
    largest_whole: int = 0  # messages of the largest job run in one piece so far
    recent: list[tuple[int, float]] = msgspec.field(default_factory=list)
    # How much faster than the reference machine the prior was scaled for (0: it was not).
    calibration: float = 0.0

    def seconds_for(self, messages: int, lanes: int = 1, *, sharded: bool | None = None) -> float:
        """Expected seconds for a job of ``messages`` messages, split into shards or not
        (``sharded``; default: when more than one lane), whose shards ``lanes`` analyzer
        processes share."""
        work = messages / self.messages_per_second
        if lanes > 1 if sharded is None else sharded:
            work *= self.split_cost
            if lanes > 1:
                work *= (1 - self.parallel_share) + self.parallel_share / lanes
        return self.overhead_seconds + work


_decoder = msgspec.msgpack.Decoder(Throughput)


class _Stamp(msgspec.Struct):
    """Of a stored model, only its version (records of version 0 have none)."""

    version: int = 0


_stamp_decoder = msgspec.msgpack.Decoder(_Stamp)


def _unmeasured(key: str) -> Throughput:
    # The incremental model starts from no overhead: until jobs of different sizes
    # separate the two, its time is all rate (the main model's prior overhead would be
    # added to a time that includes it).
    return Throughput(overhead_seconds=0.0) if key == INCREMENTAL_KEY else Throughput()


def decode_throughput(data: bytes, key: str = THROUGHPUT_KEY) -> Throughput:
    """A stored model; one written under another model version reads as unmeasured."""
    if not data or _stamp_decoder.decode(data).version != MODEL_VERSION:
        return _unmeasured(key)
    return _decoder.decode(data)


async def read_throughput(stores: Stores, key: str = THROUGHPUT_KEY) -> Throughput:
    """The current estimate (unmeasured, ``samples == 0``: the prior) of the model under
    ``key`` (:data:`THROUGHPUT_KEY`, or :data:`INCREMENTAL_KEY`)."""
    try:
        entry = await stores.jobs.get(key)
    except Exception:
        return _unmeasured(key)
    return decode_throughput(entry.value or b"", key)


# Until an incremental run was measured, its work over the whole corpus is taken to go
# this many times faster than the analysis in one piece: on the incremental benchmark
# (docs/performance.md, 2026-12-02) 59,910 messages' whole-corpus part took 2.08 s, 28,800
# messages/s, against 9,500/s in one piece (this module's prior, the same machine).
_INCREMENTAL_SPEEDUP = 3.0


def incremental_prior(full: Throughput) -> Throughput:
    """The incremental model before any incremental run was measured: ``full``'s rate
    (as measured or calibrated on this machine) times :data:`_INCREMENTAL_SPEEDUP`."""
    return Throughput(
        messages_per_second=full.messages_per_second * _INCREMENTAL_SPEEDUP, overhead_seconds=0.0
    )


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
        current = decode_throughput(entry.value or b"")
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
    computed, summed (``shard_work``); a job that was not sharded gives neither. A sharded
    job's one-lane time is ``seconds - shard_wall + shard_work``: against the rate of jobs
    run in one piece, once one of at least a tenth of its size was measured, it says what
    the split costs; it goes into the rate's fit as the time it would have taken in one
    piece at that cost.
    """
    if messages <= 0 or seconds <= 0:
        return current
    share, sharded, split = current.parallel_share, current.sharded_samples, current.split_cost
    whole = current.largest_whole
    if shard_wall > 0 and shard_work > 0 and shard_wall <= seconds:
        one_lane = seconds - shard_wall + shard_work
        # The work beside the fixed overhead, and the share of it the shards did.
        work = max(one_lane - current.overhead_seconds, shard_work)
        measured = shard_work / work
        # The newest sharded jobs weigh most; the first one replaces the prior.
        share = measured if sharded == 0 else 0.5 * share + 0.5 * measured
        sharded += 1
        if current.largest_whole * 10 >= messages:
            # The rate in one piece was measured on jobs of a comparable size (not only
            # on tiny ones, whose rate is mostly overhead): this job says what the split
            # costs.
            seen = work / (messages / current.messages_per_second)
            split = 0.5 * split + 0.5 * min(_MAX_SPLIT, max(1.0, seen))
        # In the fit as the time it would have taken in one piece (the large jobs are
        # what separates the rate from the overhead).
        seconds = current.overhead_seconds + work / split
    else:
        whole = max(whole, messages)
    recent = [*current.recent, (messages, seconds)][-_KEEP:]
    rate, overhead = _fit(recent, current.overhead_seconds)
    return Throughput(
        messages_per_second=rate,
        overhead_seconds=overhead,
        parallel_share=share,
        split_cost=split,
        samples=current.samples + 1,
        sharded_samples=sharded,
        largest_whole=whole,
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


def is_sharded(messages: int, shard_min_messages: int, shards: int) -> bool:
    """Whether a job of ``messages`` messages is split into shards (``shards`` of them,
    from ``shard_min_messages`` messages on; 0 or 1 shard, or a minimum of 0: never)."""
    return shards > 1 and shard_min_messages > 0 and messages >= shard_min_messages


def expected_lanes(messages: int, analyzers: int, shard_min_messages: int, shards: int) -> int:
    """How many analyzer processes a job of ``messages`` messages will run on: its shards'
    number or the live analyzers, whichever is smaller, once it is large enough to shard."""
    if not is_sharded(messages, shard_min_messages, shards):
        return 1
    return max(1, min(shards, analyzers))
