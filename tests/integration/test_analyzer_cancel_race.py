"""A cancel that arrives after the analysis's last checkpoint, on a real nats-server:
the results must not stay cached, and subscribers must not hear `complete`.

The cancel is the gateway's real ``DELETE /api/analysis/{job_id}`` route (in-process,
on the same server), not a copy of what it does.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

import convoscope_analyzer.pipeline as pipeline_module
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.worker import AnalyzerHandler, make_consumer
from convoscope_common import names
from convoscope_common.cache import cache_key
from convoscope_common.config import Settings
from convoscope_common.corpus import encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.ownership import add_ref
from convoscope_common.provisioning import provision
from convoscope_common.records import JobState
from convoscope_common.storage import Stores
from convoscope_common.wire import AnalyzeJob, encode
from convoscope_gateway.app import create_app
from tests.integration.stored_jobs import one_exchange_corpus
from tests.worker_fakes import FakeCtx, FakeMsg

pytestmark = pytest.mark.integration

_corpus = one_exchange_corpus


async def test_a_cancel_after_the_last_checkpoint_leaves_no_results_and_no_complete(
    js: JetStreamContext, nc: NATS, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await provision(js, Settings())
    stores = await Stores.open(js)
    await stores.corpora.put("corpus", encode_corpus(_corpus()))
    options = AnalysisOptions()
    key = cache_key("sha256:00", options)
    now = datetime.now(UTC)
    await stores.put_job(
        JobState(job_id="job_race", file_id="f", cache_key=key, created_at=now, updated_at=now)
    )
    await add_ref(stores, key, "job_race")
    job = AnalyzeJob(
        job_id="job_race", file_id="f", file_hash="sha256:00", corpus_object="corpus",
        options=options, cache_key=key, submitted_at=now,
    )  # fmt: skip

    # The engine has passed its last checkpoint (nothing after it in the pipeline checks
    # again) and waits for the test to cancel the job.
    engine_done = threading.Event()
    real_analyze = pipeline_module.analyze_encoded

    def analyze_then_wait(*args: Any, **kwargs: Any) -> Any:
        results = real_analyze(*args, **kwargs)
        engine_done.wait(timeout=30)
        return results

    monkeypatch.setattr(pipeline_module, "analyze_encoded", analyze_then_wait)
    heard: list[str] = []

    async def on_event(msg: Any) -> None:
        heard.append(msg.subject.rsplit(".", 1)[-1])

    sub = await nc.subscribe(f"{names.PREFIX}.events.job_race.*", cb=on_event)
    consumer = make_consumer(
        AnalyzerHandler(cast(Any, FakeCtx(nc=nc, js=js)), stores, PrivacyConfig())
    )
    msg = FakeMsg(encode(job))
    task = asyncio.create_task(consumer.process(cast(Any, msg)))
    for _ in range(200):  # until the job is running
        state = await stores.get_job("job_race")
        if state is not None and state.status == "processing":
            break
        await asyncio.sleep(0.05)

    async with TestClient(TestServer(create_app(Settings(nats_url=nats_url)))) as gateway:
        resp = await gateway.delete("/api/analysis/job_race")
        assert resp.status == 200, await resp.text()
        answer = await resp.json()
    assert answer["status"] == "cancelled" and answer["previous_status"] == "processing"
    engine_done.set()
    await asyncio.wait_for(task, 30)
    await nc.flush()
    await asyncio.sleep(0.1)
    await sub.unsubscribe()

    assert msg.settled == ["ack"]
    final = await stores.get_job("job_race")
    assert final is not None and final.status == "cancelled"
    assert await stores.get_result_index(key) is None
    assert not await stores.object_exists(stores.results_data, key)
    assert not await stores.object_exists(stores.results_data, names.light_object(key))
    assert "complete" not in heard, heard
