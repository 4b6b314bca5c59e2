"""The duration model separates fixed overhead from per-message cost."""

from __future__ import annotations

import pytest

from convoscope_common.throughput import (
    INCREMENTAL_KEY,
    Throughput,
    expected_lanes,
    incremental_seconds,
    read_throughput,
    updated,
    whole_corpus_seconds,
)


def _after(jobs: list[tuple[int, float]]) -> Throughput:
    model = Throughput()
    for messages, seconds in jobs:
        model = updated(model, messages, seconds)
    return model


def test_tiny_jobs_do_not_make_a_large_one_look_slow() -> None:
    # What the service sees: sample exports of a few messages (all overhead), then a
    # 20k job; truth here is 1.5 s + 1/7000 s per message.
    truth = lambda m: 1.5 + m / 7000  # noqa: E731
    model = _after([(12, truth(12)), (40, truth(40)), (9, truth(9)), (20_000, truth(20_000))])
    assert model.seconds_for(117_000) == pytest.approx(truth(117_000), rel=0.05)
    assert model.overhead_seconds == pytest.approx(1.5, abs=0.1)


def test_the_old_per_job_rate_would_have_been_far_off() -> None:
    # A per-job rate from a 12-message job in 1.5 s says 8 msg/s.
    model = _after([(12, 1.5)])
    assert model.messages_per_second == pytest.approx(8.0)
    model = updated(model, 50_000, 9.0)
    assert model.seconds_for(100_000) == pytest.approx(1.5 + 100_000 * 7.5 / 49_988, rel=0.01)


def test_noise_that_gives_a_negative_slope_falls_back_to_the_largest_job() -> None:
    model = _after([(100, 5.0), (1000, 4.0)])
    assert model.messages_per_second == pytest.approx(1000 / 4.0)


def test_only_the_newest_jobs_count() -> None:
    model = _after([(1000, 100.0)] * 5 + [(1000, 1.0), (10_000, 2.0)] * 20)
    assert model.seconds_for(10_000) == pytest.approx(2.0, rel=0.01)
    assert len(model.recent) == 24


def test_nonsense_is_ignored() -> None:
    assert _after([(0, 1.0), (10, 0.0)]) == Throughput()


def test_a_sharded_job_is_folded_in_as_its_one_lane_time() -> None:
    # 60k messages in 20 s on 2 lanes: 16 s of shard stages in which the shards computed
    # 30 s; on one lane it would have taken 20 - 16 + 30 = 34 s: 32 s of work beside the
    # 2 s overhead, 30/32 of it in shards.
    model = updated(Throughput(), 60_000, 20.0, shard_wall=16.0, shard_work=30.0)
    assert model.parallel_share == pytest.approx(30 / 32)
    assert model.sharded_samples == 1 and model.largest_whole == 0
    # No job in one piece yet: the split's cost stays the prior's, and the job enters the
    # fit as what it would have taken in one piece.
    assert model.split_cost == Throughput().split_cost
    assert model.recent == [(60_000, pytest.approx(2.0 + 32.0 / model.split_cost))]
    two_lanes = model.seconds_for(60_000, lanes=2)
    # The same job on two lanes again: back near the 20 s it took.
    assert two_lanes == pytest.approx(20.0, rel=0.1)
    assert two_lanes < model.seconds_for(60_000, lanes=1, sharded=True)
    # A later sharded job moves the share halfway towards what it measured.
    again = updated(model, 60_000, 30.0, shard_wall=25.0, shard_work=25.0)
    assert again.parallel_share == pytest.approx(0.5 * 30 / 32 + 0.5 * 25 / 28)


def test_the_split_s_cost_is_learned_against_jobs_in_one_piece() -> None:
    # Truth: 2 s + 1/10,000 s per message in one piece; split into shards the work costs
    # 1.5 times as much, 90 % of it in the shards.
    def sharded(messages: int, lanes: int) -> tuple[float, float, float]:
        work = messages / 10_000 * 1.5
        shard_work = 0.9 * work
        shard_wall = shard_work / lanes
        return 2.0 + 0.1 * work + shard_wall, shard_wall, shard_work

    model = _after([(10_000, 3.0), (40_000, 6.0)])
    assert (model.messages_per_second, model.overhead_seconds) == pytest.approx((10_000, 2.0))
    for _ in range(6):
        seconds, wall, work = sharded(60_000, 2)
        model = updated(model, 60_000, seconds, shard_wall=wall, shard_work=work)
    # (Each split job enters the rate's fit at the cost known when it came: the cost
    # learned lags a little behind.)
    assert model.split_cost == pytest.approx(1.5, rel=0.05)
    assert model.parallel_share == pytest.approx(0.9, rel=0.02)
    # Jobs in one piece are still estimated as one piece, split ones as split.
    assert model.seconds_for(40_000) == pytest.approx(6.0, rel=0.02)
    assert model.seconds_for(60_000, lanes=2) == pytest.approx(sharded(60_000, 2)[0], rel=0.02)
    one_lane = model.seconds_for(60_000, lanes=1, sharded=True)
    assert one_lane == pytest.approx(sharded(60_000, 1)[0], rel=0.02)


def test_tiny_jobs_in_one_piece_do_not_set_the_split_s_cost() -> None:
    # The sample export (16 messages in 1.5 s) says nothing of 60,000 messages' rate: a
    # split job compared with it would look nearly free. The cost stays the prior's and
    # the split jobs still estimate as they took.
    model = _after([(16, 1.5), (40, 1.6)])
    took = 2.0 + 0.1 * 9.0 + 0.9 * 9.0 / 2  # 9 s of split work, 90 % of it on two lanes
    for _ in range(3):
        model = updated(model, 60_000, took, shard_wall=0.9 * 9.0 / 2, shard_work=0.9 * 9.0)
    assert model.split_cost == Throughput().split_cost
    assert model.seconds_for(60_000, lanes=2) == pytest.approx(took, rel=0.05)


def test_a_model_of_another_version_reads_as_the_prior() -> None:
    import msgspec

    from convoscope_common.throughput import decode_throughput

    old = msgspec.msgpack.encode(
        {"messages_per_second": 5600.0, "overhead_seconds": 2.0, "samples": 7, "recent": []}
    )
    assert decode_throughput(old) == Throughput()
    current = updated(Throughput(), 1000, 3.0)
    assert decode_throughput(msgspec.msgpack.encode(current)) == current


def test_shard_figures_that_cannot_be_right_are_ignored() -> None:
    model = updated(Throughput(), 60_000, 20.0, shard_wall=25.0, shard_work=30.0)
    assert model.recent == [(60_000, 20.0)]
    assert model.sharded_samples == 0
    assert model.parallel_share == Throughput().parallel_share


@pytest.mark.parametrize(
    ("messages", "analyzers", "minimum", "shards", "lanes"),
    [
        (1_000, 2, 40_000, 8, 1),  # too small to shard
        (63_000, 2, 40_000, 8, 2),
        (63_000, 12, 40_000, 8, 8),  # no more lanes than shards
        (63_000, 2, 0, 8, 1),  # sharding off
        (63_000, 2, 40_000, 1, 1),
        (63_000, 0, 40_000, 8, 1),
    ],
)
def test_expected_lanes(
    messages: int, analyzers: int, minimum: int, shards: int, lanes: int
) -> None:
    assert expected_lanes(messages, analyzers, minimum, shards) == lanes


def test_the_prior_says_what_the_pipeline_took_on_the_benchmark_machine() -> None:
    # docs/performance.md, 2026-12-02: the 94 MB benchmark export (63,600 messages)
    # through the stack on a 2-core machine: one analyzer, in one piece, 7.9-9.2 s; one
    # analyzer taking every shard itself 10.9-12.1 s; two analyzers 5.7-8.1 s.
    prior = Throughput()
    assert 7.9 <= prior.seconds_for(63_600) <= 9.2
    assert 10.9 <= prior.seconds_for(63_600, lanes=1, sharded=True) <= 12.1
    assert 5.7 <= prior.seconds_for(63_600, lanes=2) <= 8.1


def test_collection_runs_that_reused_pieces_have_a_model_of_their_own() -> None:
    # What the analyzer logged on the incremental benchmark: a collection of 57,098
    # messages analysed from scratch in 8.4 s, then again with 5 % new conversations
    # (3,000 messages analysed afresh) in 2.06 s. Folded into one model, the second made
    # the next 60,000-message upload look like 2.1 s of work.
    full = _after([(57_098, 8.4)])
    assert full.seconds_for(60_000) == pytest.approx(2.0 + 60_000 / (57_098 / 8.4), rel=0.01)
    polluted = updated(full, 59_910, 2.06)
    assert polluted.seconds_for(60_000) < 0.5 * full.seconds_for(60_000)

    # Apart: the incremental model learns the time beyond the analysed messages' own.
    whole = whole_corpus_seconds(full, 2.06, 3_000)
    assert whole == pytest.approx(2.06 - 3_000 / full.messages_per_second)
    incremental = updated(Throughput(overhead_seconds=0.0), 59_910, whole)
    # The same run again is estimated as it took, and more new messages cost more.
    assert incremental_seconds(incremental, full, 59_910, 3_000) == pytest.approx(2.06, rel=0.01)
    assert incremental_seconds(incremental, full, 59_910, 30_000) > 5.0


def test_a_run_whose_analysed_part_looks_longer_than_itself_keeps_a_tenth() -> None:
    full = Throughput(messages_per_second=1000.0, overhead_seconds=0.0)
    assert whole_corpus_seconds(full, 2.0, 10_000) == pytest.approx(0.2)


async def test_an_unmeasured_incremental_model_has_no_overhead() -> None:
    class _Jobs:
        async def get(self, key: str) -> object:
            raise KeyError(key)  # nothing stored

    class _Stores:
        jobs = _Jobs()

    model = await read_throughput(_Stores(), INCREMENTAL_KEY)  # type: ignore[arg-type]
    assert model.samples == 0 and model.overhead_seconds == 0.0
    assert (await read_throughput(_Stores())).overhead_seconds > 0  # type: ignore[arg-type]
