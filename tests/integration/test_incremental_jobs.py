"""A collection analysed again after a newer export was added (real nats-server, a real
analyzer replica): the second job reuses the pieces the first one kept, its results
equal a from-scratch analysis, and deleting the collection's analyses deletes the pieces.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from convoscope_analyzer.incremental_job import REUSED, pieces_saved
from convoscope_analyzer.pieces_codec import decode_pieces
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.worker import AnalyzerHandler, make_consumer
from convoscope_common import names
from convoscope_common.cache import cache_key
from convoscope_common.collection_ownership import delete_collection_analyses
from convoscope_common.collection_types import CollectionRecord
from convoscope_common.config import Settings
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.ownership import add_ref
from convoscope_common.provisioning import provision
from convoscope_common.records import JobState
from convoscope_common.results import AnalysisResults, decode_results
from convoscope_common.storage import Stores
from convoscope_common.throughput import (
    INCREMENTAL_KEY,
    THROUGHPUT_KEY,
    Throughput,
    read_throughput,
)
from convoscope_common.wire import AnalyzeJob, encode
from convoscope_ingest.merge import merge_corpora
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator
from tests.worker_fakes import FakeCtx

pytestmark = pytest.mark.integration

SETTINGS = Settings(ack_wait=5.0)
SECTIONS = [f for f in AnalysisResults.__struct_fields__ if f != "generated_at"]
COLLECTION = "col_incremental"


def _export(n: int) -> Corpus:
    return parse_export(load_generator().generate_claude_export(n, seed=5)).corpus


def _reused() -> float:
    return float(REUSED.labels(kind="reused")._value.get())


async def _analyse(
    js: JetStreamContext, stores: Stores, job_id: str, corpus: Corpus
) -> tuple[AnalysisResults, bytes]:
    """Queue a collection job over ``corpus`` and wait for its end; its results and its
    stored redacted corpus."""
    blob = encode_corpus(corpus)
    await stores.write_object(stores.corpora, f"corpus-{job_id}", blob)
    options = AnalysisOptions()
    key = cache_key(f"sha256:{job_id}", options)
    now = datetime.now(UTC)
    await stores.put_job(
        JobState(job_id=job_id, file_id="cf", cache_key=key, created_at=now, updated_at=now)
    )
    await add_ref(stores, key, job_id)
    job = AnalyzeJob(
        job_id=job_id, file_id="cf", file_hash=f"sha256:{job_id}",
        corpus_object=f"corpus-{job_id}", options=options, cache_key=key, submitted_at=now,
        collection_id=COLLECTION,
    )  # fmt: skip
    await js.publish(names.analyze_subject("normal"), encode(job))
    for _ in range(900):
        state = await stores.get_job(job_id)
        if state is not None and state.status in ("complete", "failed", "cancelled"):
            break
        await asyncio.sleep(0.2)
    assert state is not None and state.status == "complete", state
    index = await stores.get_result_index(key)
    assert index is not None and index.redacted_corpus_object
    stored = await stores.read_object(stores.results_data, index.results_object)
    redacted = bytes(await stores.read_object(stores.results_data, index.redacted_corpus_object))
    # The index counts both objects (the redacted corpus is written while the engine runs).
    assert index.size >= len(stored) + len(redacted)
    return decode_results(stored), redacted


async def test_a_collection_analysed_again_reuses_its_pieces(
    js: JetStreamContext, nc: NATS
) -> None:
    await provision(js, SETTINGS)
    stores = await Stores.open(js)
    ctx = cast(Any, FakeCtx(SETTINGS, js=js, nc=nc))
    handler = AnalyzerHandler(ctx, stores, PrivacyConfig(), None, None)
    consumer = asyncio.create_task(make_consumer(handler).run())
    try:
        older = _export(60)
        await _analyse(js, stores, "job_first", merge_corpora([older]))
        await pieces_saved()  # written after the job completed
        kept = await stores.read_object(stores.results_data, names.pieces_object(COLLECTION))
        pieces = decode_pieces(kept)
        assert pieces is not None and pieces.engine.chunks

        # The first run reused nothing: a one-lane job, in the model of every job.
        first_model = await _model(stores, THROUGHPUT_KEY, samples=1)

        before = _reused()
        grown = merge_corpora([older, _export(66)])
        results, redacted = await _analyse(js, stores, "job_again", grown)
        assert _reused() - before >= 30  # most conversations came from the pieces
        await pieces_saved()
        # The run that reused pieces went to the incremental model, not the one the
        # estimates of uploads and from-scratch analyses come from.
        await _model(stores, INCREMENTAL_KEY, samples=1)
        assert await read_throughput(stores) == first_model
    finally:
        ctx.stopping.set()
        await asyncio.wait_for(consumer, 30)

    expected = run_pipeline(decode_corpus(encode_corpus(grown)), AnalysisOptions(), PrivacyConfig())
    for name in SECTIONS:
        got = msgspec.msgpack.encode(getattr(results, name))
        assert got == msgspec.msgpack.encode(getattr(expected.results, name)), name
    assert redacted == encode_corpus(expected.redacted_corpus)

    now = datetime.now(UTC)
    record = CollectionRecord(collection_id=COLLECTION, name="c", created_at=now, updated_at=now)
    await delete_collection_analyses(stores, record, _never_running)
    assert not await stores.object_exists(stores.results_data, names.pieces_object(COLLECTION))


async def _model(stores: Stores, key: str, samples: int) -> Throughput:
    """The duration model under ``key`` once it holds ``samples`` jobs (a job records its
    time just after it completes)."""
    for _ in range(100):
        model = await read_throughput(stores, key)
        if model.samples >= samples:
            return model
        await asyncio.sleep(0.1)
    raise AssertionError(f"{key}: {model.samples} jobs recorded, expected {samples}")


async def _never_running(state: JobState) -> None:
    raise AssertionError("no job is running")
