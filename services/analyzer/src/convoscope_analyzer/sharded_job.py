"""A large job run as shards over the bus, from the coordinating run's side."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import TYPE_CHECKING

from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.progress_publisher import ProgressPublisher
from convoscope_analyzer.raw_corpus import EncodedCorpus, RawCorpus
from convoscope_analyzer.raw_sharded import run_sharded_raw
from convoscope_analyzer.shard_bus import BusShards
from convoscope_analyzer.stages import stage
from convoscope_common.logs import get_logger
from convoscope_common.results import AnalysisResults

if TYPE_CHECKING:
    from convoscope_analyzer.job_run import JobRun

log = get_logger(__name__)


async def run_sharded_job(
    run: JobRun,
    raw: RawCorpus,
    privacy: PrivacyConfig,
    shards: int,
    publisher: ProgressPublisher,
) -> AnalysisResults:
    """The pipeline with its costly stages in shards any analyzer replica takes.

    The redacted corpus is stored (``run.store_redacted``) while the shards analyse,
    instead of being kept until the results are stored.
    """
    records = run.handler.shard_records
    assert records is not None
    loop = asyncio.get_running_loop()
    bus = BusShards(run, records, loop, run.running.checkpoint)
    writes: list[concurrent.futures.Future[None]] = []

    def on_redacted(stream: EncodedCorpus) -> None:  # in the job's thread
        writes.append(asyncio.run_coroutine_threadsafe(run.store_redacted(stream), loop))

    log.info("job_sharded", shards=shards)
    try:
        with stage("sharded", shards=shards):
            results, _ = await asyncio.to_thread(
                run_sharded_raw,
                raw,
                run.job.options,
                privacy,
                shards=shards,
                taxonomy=run.handler.taxonomy,
                prices=run.handler.prices,
                map_detect=bus.map_detect,
                map_analyze=bus.map_analyze,
                progress=publisher,
                on_redacted=on_redacted,
            )
        for write in writes:
            await asyncio.wrap_future(write)
        run.shard_wall, run.shard_work = bus.wall, bus.work
        return results
    finally:
        for write in writes:
            write.cancel()
        await bus.cleanup(shards)
