"""A calibrated prior is stored when nothing was measured, never over a measured model."""

from __future__ import annotations

from nats.js import JetStreamContext

from convoscope_analyzer.calibration import calibrate
from convoscope_common.config import Settings
from convoscope_common.provisioning import provision
from convoscope_common.storage import Stores
from convoscope_common.throughput import (
    THROUGHPUT_KEY,
    Throughput,
    calibrated_prior,
    read_throughput,
    record_throughput,
    store_calibrated_prior,
)


async def _stores(js: JetStreamContext) -> Stores:
    await provision(js, Settings())
    return await Stores.open(js)


async def test_a_calibrated_prior_is_stored_when_none_exists(js: JetStreamContext) -> None:
    stores = await _stores(js)
    assert await calibrate(stores, lambda: True, delay=0, runs=1)
    stored = await read_throughput(stores)
    assert stored.calibration > 0 and stored.samples == 0
    assert stored.messages_per_second == Throughput().messages_per_second * stored.calibration
    # A second replica's faster calibration replaces an unmeasured prior; a slower one
    # (a timing disturbed by what else ran) does not.
    faster = calibrated_prior(0.05, reference_seconds=0.2)
    assert await store_calibrated_prior(stores, faster)
    assert await read_throughput(stores) == faster
    assert not await store_calibrated_prior(stores, calibrated_prior(0.1, reference_seconds=0.2))
    assert await read_throughput(stores) == faster


async def test_a_measured_model_is_never_overwritten(js: JetStreamContext) -> None:
    stores = await _stores(js)
    measured = await record_throughput(stores, messages=10_000, seconds=4.0)
    revision = (await stores.jobs.get(THROUGHPUT_KEY)).revision
    assert not await store_calibrated_prior(stores, calibrated_prior(0.05, reference_seconds=0.2))
    assert not await calibrate(stores, lambda: True, delay=0, runs=1)
    assert await read_throughput(stores) == measured
    assert (await stores.jobs.get(THROUGHPUT_KEY)).revision == revision


async def test_a_busy_replica_does_not_calibrate(js: JetStreamContext) -> None:
    stores = await _stores(js)
    assert not await calibrate(stores, lambda: False, delay=0, runs=1)
    assert await read_throughput(stores) == Throughput()  # nothing stored: the plain prior
    busy_after = iter([True, False])  # a job started while the workload was timed
    assert not await calibrate(stores, lambda: next(busy_after), delay=0, runs=1)
    assert await read_throughput(stores) == Throughput()


async def test_the_prior_recorded_over_keeps_the_first_job_as_its_only_sample(
    js: JetStreamContext,
) -> None:
    stores = await _stores(js)
    await store_calibrated_prior(stores, calibrated_prior(0.1, reference_seconds=0.2))
    model = await record_throughput(stores, messages=10_000, seconds=4.0)
    assert model.samples == 1 and model.recent == [(10_000, 4.0)]
    assert model.messages_per_second == 2500.0
