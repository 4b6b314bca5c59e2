"""The exporter worker: pulls export jobs, renders files, stores them in the object store.

It renders from cached results and the stored corpus; it never re-runs the analysis.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import msgspec
import structlog
from nats.aio.msg import Msg
from nats.js.errors import FetchTimeoutError

from convoscope_common import names
from convoscope_common.clock import utcnow
from convoscope_common.corpus import decode_corpus
from convoscope_common.logs import get_logger
from convoscope_common.messages import (
    CompleteEvent,
    ErrorEvent,
    ErrorInfo,
    ExportFile,
    ExportJob,
    ExportState,
    ProgressEvent,
    encode,
    export_job_decoder,
)
from convoscope_common.metrics import Counter, Histogram
from convoscope_common.results import decode_results
from convoscope_common.runtime import ServiceContext
from convoscope_common.storage import ObjectMissingError, Stores
from convoscope_exporter.errors import InvalidFilterError
from convoscope_exporter.filtering import apply_filter, parse_filter
from convoscope_exporter.manifest import build_manifest
from convoscope_exporter.render import render_export

log = get_logger(__name__)

EXPORTS = Counter("convoscope_exporter_exports_total", "Exports by outcome", ["outcome"])
FILES = Counter("convoscope_exporter_files_total", "Files rendered", ["format"])
RENDER_SECONDS = Histogram(
    "convoscope_exporter_render_seconds",
    "Time to render one export",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)


class ExportDeletedError(Exception):
    """The export's record disappeared while it rendered (its job was deleted)."""


class ExporterWorker:
    """Renders one export at a time per replica (rendering is CPU-bound)."""

    def __init__(self, ctx: ServiceContext, stores: Stores) -> None:
        self.ctx = ctx
        self.stores = stores
        self.active = 0
        # Object names written for the export in progress (one export at a time).
        self._written: list[str] = []

    async def run(self) -> None:
        sub = await self.ctx.js.pull_subscribe_bind(
            durable=names.EXPORTER_DURABLE, stream=names.JOBS_STREAM
        )
        try:
            while not self.ctx.stopping.is_set():
                try:
                    msgs = await sub.fetch(1, timeout=0.5)
                except (FetchTimeoutError, TimeoutError):
                    continue
                for msg in msgs:
                    await self._guarded(msg)
        finally:
            # A pull subscription left open makes the connection drain time out.
            await sub.unsubscribe()

    async def _guarded(self, msg: Msg) -> None:
        """Process one message; an unexpected error (a store that did not answer) must not
        end the service: retry later, and give up after ``max_attempts`` deliveries."""
        try:
            await self.process(msg)
        except Exception as exc:
            attempts = msg.metadata.num_delivered or 1
            give_up = attempts >= self.ctx.settings.max_attempts
            log.error("export_crashed", error=type(exc).__name__, attempts=attempts)
            with contextlib.suppress(Exception):
                await (msg.term() if give_up else msg.nak(delay=1))

    async def process(self, msg: Msg) -> None:
        """Render every requested format, store the files, then acknowledge."""
        try:
            job = export_job_decoder.decode(msg.data)
        except msgspec.DecodeError:
            log.error("bad_export_job")
            await msg.term()
            return
        with structlog.contextvars.bound_contextvars(job_id=job.job_id, export_id=job.export_id):
            state = await self.stores.get_export(job.export_id)
            if state is None or state.status in ("complete", "failed"):
                await msg.ack()
                return
            self.active += 1
            self._written = []
            keepalive = asyncio.create_task(self._keep_alive(msg))
            started = time.perf_counter()
            try:
                state.status = "processing"
                await self._save(state)
                state.files = await self._render_all(job, state)
                state.status = "complete"
                state.progress = 100.0
                await self._save(state)
                await self._publish(
                    job.export_id,
                    "complete",
                    CompleteEvent(job_id=job.export_id, results_url=f"/api/export/{job.export_id}"),
                )
                EXPORTS.labels(outcome="complete").inc()
                RENDER_SECONDS.observe(time.perf_counter() - started)
                log.info(
                    "export_complete",
                    files=len(state.files),
                    seconds=round(time.perf_counter() - started, 3),
                )
            except ExportDeletedError:
                # Its job was deleted meanwhile: remove what was written, keep nothing.
                for name in self._written:
                    await self.stores.delete_object(self.stores.exports_data, name)
                log.info("export_dropped_after_delete")
            except InvalidFilterError as exc:
                await self._fail(
                    state, ErrorInfo(code="invalid_filter", status=422, message=str(exc))
                )
            except ObjectMissingError:
                await self._fail(
                    state,
                    ErrorInfo(
                        code="results_expired",
                        status=410,
                        message="the results or the corpus of this job are no longer stored; "
                        "run the analysis again",
                    ),
                )
            except Exception as exc:
                log.error("export_failed", error=type(exc).__name__)
                await self._fail(
                    state,
                    ErrorInfo(
                        code="export_failed",
                        status=500,
                        message="the export could not be rendered",
                        details=type(exc).__name__,
                    ),
                )
            finally:
                keepalive.cancel()
                self.active -= 1
            await msg.ack()

    async def _render_all(self, job: ExportJob, state: ExportState) -> list[ExportFile]:
        flt = parse_filter(job.options.filter)
        results = decode_results(
            await self.stores.read_object(self.stores.results_data, job.results_object)
        )
        store = self.stores.corpora if job.corpus_store == "corpora" else self.stores.results_data
        corpus = decode_corpus(await self.stores.read_object(store, job.corpus_object))
        manifest = build_manifest(
            results=results,
            export_id=job.export_id,
            job_id=job.job_id,
            formats=job.formats,
            include_pii=job.options.include_pii,
            flt=flt,
            file_hash=job.file_hash,
        )
        results, corpus = apply_filter(results, corpus, flt)
        files: list[ExportFile] = []
        for i, fmt in enumerate(job.formats):
            rendered = await asyncio.to_thread(
                render_export, fmt, results, corpus, manifest=manifest
            )
            for item in rendered:
                name = f"{job.export_id}/{item.filename}"
                await self.stores.write_object(self.stores.exports_data, name, item.data)
                self._written.append(name)
                files.append(
                    ExportFile(
                        format=fmt,
                        filename=item.filename,
                        size=len(item.data),
                        content_type=item.content_type,
                        url=f"/api/export/{job.export_id}/file/{item.filename}",
                    )
                )
                FILES.labels(format=fmt).inc()
            state.progress = round(100.0 * (i + 1) / len(job.formats), 1)
            await self._save(state)
            await self._publish(
                job.export_id,
                "progress",
                ProgressEvent(
                    job_id=job.export_id,
                    progress=state.progress,
                    current_step=f"Rendered {fmt}",
                    message=f"Rendered {i + 1} of {len(job.formats)} formats",
                ),
            )
        return files

    async def _keep_alive(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(max(0.5, self.ctx.settings.ack_wait / 3))
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _save(self, state: ExportState) -> None:
        """Write the export's state, unless the export was deleted with its job."""
        if await self.stores.get_export(state.export_id) is None:
            raise ExportDeletedError(state.export_id)
        state.updated_at = utcnow()
        await self.stores.put_export(state)

    async def _fail(self, state: ExportState, error: ErrorInfo) -> None:
        state.status = "failed"
        state.error = error
        try:
            await self._save(state)
        except ExportDeletedError:
            return  # nobody is left to tell
        await self._publish(
            state.export_id,
            "error",
            ErrorEvent(job_id=state.export_id, error=error.message, details=error.details),
        )
        EXPORTS.labels(outcome="failed").inc()

    async def _publish(self, export_id: str, kind: str, event: msgspec.Struct) -> None:
        await self.ctx.nc.publish(names.event_subject(export_id, kind), encode(event))


async def run(ctx: ServiceContext) -> None:
    """The exporter service body."""
    worker = ExporterWorker(ctx, await Stores.open(ctx.js))
    ctx.active_jobs = lambda: worker.active
    await worker.run()
