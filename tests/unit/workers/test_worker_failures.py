"""Analyzer and exporter workers facing bad messages and a failing store (fakes, no NATS)."""

from __future__ import annotations

from typing import Any, cast

from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.worker import AnalyzerWorker
from convoscope_exporter.worker import ExporterWorker
from tests.worker_fakes import FakeCtx, FakeMetadata, FakeMsg


async def test_an_undecodable_analysis_job_is_terminated_not_redelivered_forever() -> None:
    worker = AnalyzerWorker(cast(Any, FakeCtx()), cast(Any, object()), PrivacyConfig())
    msg = FakeMsg(b"\xc1 not a job")
    await worker._guarded(cast(Any, msg))
    assert msg.settled == ["term"]


class BrokenStores:
    async def get_export(self, export_id: str) -> None:
        raise ConnectionError("the KV bucket did not answer")


class OneMessageSubscription:
    def __init__(self, ctx: FakeCtx, msgs: list[FakeMsg]) -> None:
        self.ctx, self.msgs = ctx, msgs

    async def fetch(self, batch: int, timeout: float) -> list[FakeMsg]:
        self.ctx.stopping.set()  # one round, then the service stops
        return self.msgs

    async def unsubscribe(self) -> None:
        pass


class FakeJs:
    def __init__(self, sub: OneMessageSubscription) -> None:
        self.sub = sub

    async def pull_subscribe_bind(self, **_: Any) -> OneMessageSubscription:
        return self.sub


def _export_job() -> bytes:
    from convoscope_common.clock import utcnow
    from convoscope_common.messages import ExportJob, ExportOptions, encode

    return encode(
        ExportJob(
            export_id="export_1", job_id="job_1", file_id="f", corpus_object="c",
            corpus_store="results", results_object="r", file_hash="sha256:00",
            formats=["csv"], options=ExportOptions(), submitted_at=utcnow(),
        )
    )  # fmt: skip


async def test_a_store_error_does_not_kill_the_exporter_loop() -> None:
    ctx = FakeCtx()
    retried = FakeMsg(_export_job())
    given_up = FakeMsg(_export_job(), FakeMetadata(num_delivered=ctx.settings.max_attempts))
    ctx.js = FakeJs(OneMessageSubscription(ctx, [retried, given_up]))
    worker = ExporterWorker(cast(Any, ctx), cast(Any, BrokenStores()))
    await worker.run()  # returns normally once stopping is set
    assert retried.settled == ["nak"]  # tried again later
    assert given_up.settled == ["term"]  # but not forever
