"""Analyzer and exporter workers facing bad messages and a failing store (fakes, no NATS)."""

from __future__ import annotations

from typing import Any, cast

from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.worker import AnalyzerHandler
from convoscope_analyzer.worker import make_consumer as analyzer_consumer
from convoscope_common.clock import utcnow
from convoscope_common.consumer import TRANSIENT_RETRIES
from convoscope_common.options import ExportOptions
from convoscope_common.records import ExportState
from convoscope_common.wire import ExportJob, encode
from convoscope_exporter.worker import ExporterHandler
from convoscope_exporter.worker import make_consumer as exporter_consumer
from tests.worker_fakes import FakeCtx, FakeMetadata, FakeMsg


async def test_an_undecodable_analysis_job_is_terminated_not_redelivered_forever() -> None:
    consumer = analyzer_consumer(
        AnalyzerHandler(cast(Any, FakeCtx()), cast(Any, FlakyStores(0)), PrivacyConfig())
    )
    msg = FakeMsg(b"\xc1 not a job")
    await consumer.process(cast(Any, msg))
    assert msg.settled == ["term"]


class FlakyStores:
    """An exports bucket that fails ``failures`` reads, then holds one pending export."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        now = utcnow()
        self.state = ExportState(
            export_id="export_1", job_id="job_1", created_at=now, updated_at=now
        )
        self.revision = 1

    async def export_entry(self, export_id: str) -> tuple[ExportState, int] | None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the KV bucket did not answer")
        return self.state, self.revision

    async def swap_export(self, state: ExportState, revision: int) -> int | None:
        if revision != self.revision:
            return None
        self.state, self.revision = state, revision + 1
        return self.revision

    async def job_entry(self, job_id: str) -> None:
        return None

    async def swap_job(self, state: object, revision: int) -> None:
        return None


class FakeNc:
    def __init__(self) -> None:
        self.published: list[str] = []

    async def publish(self, subject: str, data: bytes) -> None:
        self.published.append(subject)


def _export_job() -> bytes:
    return encode(
        ExportJob(
            export_id="export_1", job_id="job_1", file_id="f", corpus_object="c",
            corpus_store="results", results_object="r", file_hash="sha256:00",
            formats=["csv"], options=ExportOptions(), submitted_at=utcnow(),
        )
    )  # fmt: skip


async def test_a_transient_store_error_is_retried_then_the_export_fails_once() -> None:
    ctx = FakeCtx(nc=FakeNc())
    stores = FlakyStores(failures=2)
    consumer = exporter_consumer(ExporterHandler(cast(Any, ctx), cast(Any, stores)))
    retried = FakeMsg(_export_job())
    await consumer.process(cast(Any, retried))
    assert retried.settled == ["nak"]  # tried again later, not failed
    assert stores.state.status == "pending"
    last = FakeMsg(_export_job(), FakeMetadata(num_delivered=TRANSIENT_RETRIES))
    await consumer.process(cast(Any, last))
    assert last.settled == ["term"]  # not forever...
    assert stores.state.status == "failed"  # ...and never left without a final state
    assert stores.state.error is not None and stores.state.error.code == "store_unavailable"
    assert ctx.nc.published == ["convoscope.events.export_1.error"]
