"""The estimate counts the analyzer processes a large job will be spread over."""

from __future__ import annotations

from types import SimpleNamespace

import msgspec
import pytest

from convoscope_common.config import Settings
from convoscope_common.throughput import INCREMENTAL_KEY, THROUGHPUT_KEY, Throughput
from convoscope_gateway import estimates
from convoscope_gateway.estimates import (
    estimate_collection_seconds,
    estimate_seconds,
    live_analyzers,
)


def _gateway(seen: dict[tuple[str, str], float]) -> SimpleNamespace:
    return SimpleNamespace(
        stores=None, settings=Settings(heartbeat_interval=5.0), instances_seen=seen
    )


def test_only_analyzers_heard_lately_count() -> None:
    seen = {
        ("analyzer", "analyzer"): 100.0,
        ("analyzer", "analyzer-2"): 99.0,
        ("analyzer", "analyzer-3"): 70.0,  # silent for 30 s: gone
        ("exporter", "exporter"): 100.0,
    }
    assert live_analyzers(_gateway(seen), now=101.0) == 2  # type: ignore[arg-type]
    assert live_analyzers(_gateway({}), now=101.0) == 1  # type: ignore[arg-type]


async def test_a_large_job_is_estimated_on_the_live_analyzers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = Throughput(
        messages_per_second=1000.0, overhead_seconds=2.0, parallel_share=0.8, split_cost=1.25
    )

    async def read(_stores: object) -> Throughput:
        return model

    monkeypatch.setattr(estimates, "read_throughput", read)
    import time

    now = time.monotonic()
    one = _gateway({("analyzer", "a"): now})
    two = _gateway({("analyzer", "a"): now, ("analyzer", "b"): now})
    # Split into shards, 60 s of work in one piece costs 75 s; one analyzer takes them all.
    assert await estimate_seconds(one, 60_000) == pytest.approx(77.0)  # type: ignore[arg-type]
    # 80 % of it shared by two: 15 + 30 + 2.
    assert await estimate_seconds(two, 60_000) == pytest.approx(47.0)  # type: ignore[arg-type]
    # Below the sharding threshold the job runs in one piece: no split, no second lane.
    assert await estimate_seconds(two, 10_000) == pytest.approx(12.0)  # type: ignore[arg-type]


async def test_a_collection_is_estimated_on_one_analyzer_or_from_its_reuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full = Throughput(messages_per_second=1000.0, overhead_seconds=2.0, parallel_share=0.8)
    incremental = Throughput(messages_per_second=20_000.0, overhead_seconds=0.0)
    models = {THROUGHPUT_KEY: full, INCREMENTAL_KEY: Throughput(overhead_seconds=0.0)}

    async def read(_stores: object, key: str = THROUGHPUT_KEY) -> Throughput:
        return models[key]

    monkeypatch.setattr(estimates, "read_throughput", read)
    import time

    # Two live analyzers do not shorten a collection's analysis: it is never sharded.
    two = _gateway({("analyzer", "a"): time.monotonic(), ("analyzer", "b"): time.monotonic()})
    assert await estimate_collection_seconds(two, 60_000, None) == pytest.approx(62.0)  # type: ignore[arg-type]
    # Pieces to reuse, no such run measured yet: the whole corpus at three times the
    # rate in one piece (the prior), the 3,000 new messages at that rate.
    assert await estimate_collection_seconds(two, 60_000, 57_000) == pytest.approx(23.0)  # type: ignore[arg-type]
    # Measured: the whole corpus at the incremental rate, the 3,000 new messages at the
    # one-lane rate.
    models[INCREMENTAL_KEY] = msgspec.structs.replace(incremental, samples=1)
    assert await estimate_collection_seconds(two, 60_000, 57_000) == pytest.approx(6.0)  # type: ignore[arg-type]


async def test_a_collection_reuses_its_pieces_and_a_store_fault_is_no_error() -> None:
    from datetime import UTC, datetime

    from convoscope_common.collection_types import CollectionRecord
    from convoscope_gateway.routes.collections import _reused

    now = datetime.now(UTC)
    record = CollectionRecord(collection_id="col_a", name="a", created_at=now, updated_at=now)

    class _Stores:
        results_data = object()

        def __init__(self, pieces: bool | Exception) -> None:
            self.pieces = pieces

        async def object_exists(self, _store: object, name: str) -> bool:
            assert "col_a" in name
            if isinstance(self.pieces, Exception):
                raise self.pieces
            return self.pieces

        async def get_file(self, file_id: str) -> object:
            return SimpleNamespace(metadata=SimpleNamespace(messages=57_000))

    def gw(pieces: bool | Exception) -> SimpleNamespace:
        return SimpleNamespace(stores=_Stores(pieces))

    assert await _reused(gw(True), record, "cf_previous") == 57_000  # type: ignore[arg-type]
    assert await _reused(gw(True), record, None) is None  # type: ignore[arg-type]
    assert await _reused(gw(False), record, "cf_previous") is None  # type: ignore[arg-type]
    # The job is queued already when this runs: a store that times out gives the full
    # estimate, not an error in the answer.
    assert await _reused(gw(TimeoutError()), record, "cf_previous") is None  # type: ignore[arg-type]
