"""An export whose job is deleted while it renders leaves nothing behind (real nats-server)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from nats.js import JetStreamContext

import convoscope_exporter.worker as exporter_worker
from convoscope_common.config import Settings
from convoscope_common.corpus import Conversation, Corpus, Message, encode_corpus
from convoscope_common.options import ExportOptions
from convoscope_common.provisioning import provision
from convoscope_common.records import ExportState
from convoscope_common.results import AnalysisResults, encode_results
from convoscope_common.storage import Stores
from convoscope_common.wire import ExportJob, encode
from tests.worker_fakes import FakeCtx, FakeMsg

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, tzinfo=UTC)


async def test_export_deleted_while_rendering_is_not_resurrected(
    js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    await provision(js, Settings())
    stores = await Stores.open(js)
    corpus = Corpus(
        conversations=[
            Conversation(
                id="c", messages=[Message(id="m", role="user", text="hello", created_at=NOW)]
            )
        ]
    )
    await stores.results_data.put("key", encode_results(AnalysisResults()))
    await stores.results_data.put("key.corpus", encode_corpus(corpus))
    await stores.put_export(
        ExportState(export_id="export_x", job_id="job_x", created_at=NOW, updated_at=NOW)
    )
    original = exporter_worker.render_in_processes

    def render_then_job_deleted(*args: Any, **kwargs: Any) -> Any:
        rendered = original(*args, **kwargs)
        # DELETE /api/analysis/{job_id} lands while the files are being rendered.
        asyncio.run_coroutine_threadsafe(stores.exports.delete("export_x"), loop).result()
        return rendered

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(exporter_worker, "render_in_processes", render_then_job_deleted)
    consumer = exporter_worker.make_consumer(
        exporter_worker.ExporterHandler(cast(Any, FakeCtx(nc=js._nc)), stores)
    )
    job = ExportJob(
        export_id="export_x",
        job_id="job_x",
        file_id="f",
        corpus_object="key.corpus",
        results_object="key",
        formats=["json"],
        options=ExportOptions(),
        submitted_at=NOW,
    )
    msg = FakeMsg(encode(job))
    await consumer.process(cast(Any, msg))

    assert msg.settled == ["ack"]
    assert await stores.get_export("export_x") is None
    assert not await stores.object_exists(stores.exports_data, "export_x/convoscope-job_x.json")
