"""The exporter worker: the export-job handler the shared consumer runtime runs.

It renders from cached results and the stored corpus; it never re-runs the
analysis. Like an analysis, an export is owned by one run through a lease on its
``exports`` record: a deleted export (its job was deleted) or one taken over by
another run after a redelivery gets no further writes from this run.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import structlog
from nats.js.object_store import ObjectStore

from convoscope_common import names
from convoscope_common.clock import new_id, utcnow
from convoscope_common.consumer import Ack, Delivery, JobConsumer, Outcome, Retry, StandDown
from convoscope_common.faults import backoff, is_storage_full, is_transient
from convoscope_common.lease import Lease, LeaseLostError, claim, export_fencing, peek
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter, Gauge, Histogram
from convoscope_common.records import TERMINAL_STATUSES, ExportedFile, ExportState
from convoscope_common.runtime import ServiceContext
from convoscope_common.storage import ObjectMissingError, Stores
from convoscope_common.wire import (
    CompleteEvent,
    ErrorEvent,
    ErrorInfo,
    ExportJob,
    ProgressEvent,
    encode,
    export_job_decoder,
)
from convoscope_exporter.errors import InvalidFilterError, UnsupportedExportFormatError
from convoscope_exporter.parallel import available_cores, renderers_peak_rss
from convoscope_exporter.pipeline import export_request
from convoscope_exporter.spawned import RenderProcesses, render_in_processes
from convoscope_exporter.stored import CORPUS_FILE, RESULTS_FILE, OutputFile, StoredExport

log = get_logger(__name__)

EXPORTS = Counter("convoscope_exporter_exports_total", "Exports by outcome", ["outcome"])
FILES = Counter("convoscope_exporter_files_total", "Files rendered", ["format"])
RENDER_SECONDS = Histogram(
    "convoscope_exporter_render_seconds",
    "Time to render one export",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
RENDERER_PEAK_RSS = Gauge(
    "convoscope_exporter_renderer_peak_rss_bytes",
    "Largest peak resident memory of a rendering process so far",
)


class ExporterStoppingError(Exception):
    """This replica is stopping: the export goes back to the queue, uncharged."""


def _error(code: str, status: int, message: str, details: str | None = None) -> ErrorInfo:
    return ErrorInfo(code=code, status=status, message=message, details=details)


class ExporterHandler:
    """Renders one export at a time per replica (rendering is CPU-bound)."""

    def __init__(self, ctx: ServiceContext, stores: Stores) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.stores = stores
        self.fencing = export_fencing(stores)
        self.active = 0
        self.interrupted = False

    def decode(self, data: bytes) -> ExportJob:
        return export_job_decoder.decode(data)

    def key(self, job: ExportJob) -> str:
        return job.export_id

    def interrupt(self) -> None:
        """Stop after the format being rendered (a renderer cannot be interrupted)."""
        self.interrupted = True

    async def handle(self, job: ExportJob, delivery: Delivery) -> Outcome:
        with structlog.contextvars.bound_contextvars(job_id=job.job_id, export_id=job.export_id):
            current = await peek(self.fencing, job.export_id)
            if current is None or current.status in TERMINAL_STATUSES:
                return Ack()
            got = await claim(self.fencing, job.export_id, new_id("run"), solo=delivery.alone)
            if got is None:
                return Ack()
            self.active += 1
            written: list[str] = []
            try:
                return await self._run(job, got.lease, got.state, written, delivery.attempt)
            except LeaseLostError as lost:
                if lost.ended:  # deleted with its job: remove what this run wrote
                    for name in written:
                        await self.stores.delete_object(self.stores.exports_data, name)
                log.info("export_run_stood_down", ended=lost.ended)
                return Ack() if lost.ended else StandDown("another run holds the export")
            finally:
                self.active -= 1

    async def _run(
        self,
        job: ExportJob,
        lease: Lease[ExportState],
        state: ExportState,
        written: list[str],
        attempt: int,
    ) -> Outcome:
        if state.crashes >= self.settings.max_attempts:
            await self._fail(
                lease,
                state,
                _error(
                    "export_failed_repeatedly",
                    500,
                    f"the export stopped unexpectedly {state.crashes} times; it was given up",
                ),
            )
            return Ack()
        started = time.perf_counter()
        try:
            await self._save(lease, state)
            state.files = await self._render_all(job, lease, state, written)
            state.status = "complete"
            state.progress = 100.0
            await self._save(lease, state)
        except LeaseLostError:
            raise
        except ExporterStoppingError:
            await lease.release(state, "")
            return Retry(delay=0, reason="shutdown")
        except InvalidFilterError as exc:
            await self._fail(lease, state, _error("invalid_filter", 422, str(exc)))
            return Ack()
        except UnsupportedExportFormatError as exc:
            await self._fail(lease, state, _error(exc.code, 422, str(exc)))
            return Ack()
        except ObjectMissingError:
            message = "the results or the corpus of this job are no longer stored; run it again"
            await self._fail(lease, state, _error("results_expired", 410, message))
            return Ack()
        except Exception as exc:
            if is_transient(exc):
                log.warning("export_transient_error", error=type(exc).__name__)
                await lease.release(state, "")
                return Retry(delay=backoff(attempt), reason=type(exc).__name__)
            if is_storage_full(exc):
                error = _error("storage_full", 507, "the export store is full; try again later")
            else:
                log.error("export_failed", error=type(exc).__name__)
                error = _error(
                    "export_failed", 500, "the export could not be rendered", type(exc).__name__
                )
            await self._fail(lease, state, error)
            return Ack()
        await self._publish(
            job.export_id,
            "complete",
            CompleteEvent(job_id=job.export_id),
        )
        EXPORTS.labels(outcome="complete").inc()
        seconds = time.perf_counter() - started
        RENDER_SECONDS.observe(seconds)
        log.info("export_complete", files=len(state.files), seconds=round(seconds, 3))
        return Ack()

    async def _render_all(
        self, job: ExportJob, lease: Lease[ExportState], state: ExportState, written: list[str]
    ) -> list[ExportedFile]:
        share_safe_k = job.options.min_cell_count if job.options.share_safe else None
        # A bad request fails before anything is read.
        request = export_request(
            job.formats,
            export_id=job.export_id,
            job_id=job.job_id,
            include_pii=job.options.include_pii,
            raw_filter=job.options.filter,
            file_hash=job.file_hash,
            share_safe_k=share_safe_k,
        )
        with tempfile.TemporaryDirectory(prefix="convoscope-export-") as tmp:
            directory = Path(tmp)
            # The stored results and corpus go, chunk by chunk, into files the rendering
            # processes read: this process never holds them, decoded or not.
            store = (
                self.stores.corpora if job.corpus_store == "corpora" else self.stores.results_data
            )
            results_path, corpus_path = directory / RESULTS_FILE, directory / CORPUS_FILE
            await asyncio.gather(
                self._download(self.stores.results_data, job.results_object, results_path),
                self._download(store, job.corpus_object, corpus_path),
            )
            prepared = StoredExport(request, directory)
            files = await self._render_stored(job, prepared, lease, state, written)
        RENDERER_PEAK_RSS.set(renderers_peak_rss())
        # Files in the order the formats were asked for, whatever order they finished in.
        order = {fmt: n for n, fmt in enumerate(prepared.formats)}
        return sorted(files, key=lambda f: order[f.format])

    async def _render_stored(
        self,
        job: ExportJob,
        prepared: StoredExport,
        lease: Lease[ExportState],
        state: ExportState,
        written: list[str],
    ) -> list[ExportedFile]:
        # Formats render in parallel (one fresh process each, up to the configured
        # number); each one is stored and announced as soon as it is ready.
        loop = asyncio.get_running_loop()
        ready: asyncio.Queue[tuple[str, list[OutputFile]]] = asyncio.Queue()

        def on_files(fmt: str, rendered: list[OutputFile]) -> None:
            loop.call_soon_threadsafe(ready.put_nowait, (fmt, rendered))

        processes = self.ctx.settings.export_processes or available_cores()
        running = RenderProcesses()
        rendering = asyncio.ensure_future(
            asyncio.to_thread(render_in_processes, prepared, processes, on_files, running)
        )
        files: list[ExportedFile] = []
        try:
            for i in range(len(prepared.formats)):
                if self.interrupted:
                    raise ExporterStoppingError
                fmt, rendered = await _next_ready(ready, rendering)
                files += await self._store_format(job, fmt, rendered, written)
                state.progress = round(100.0 * (i + 1) / len(prepared.formats), 1)
                await self._save(lease, state)
                await self._publish(
                    job.export_id,
                    "progress",
                    ProgressEvent(
                        job_id=job.export_id,
                        progress=state.progress,
                        current_step=f"Rendered {fmt}",
                        message=f"Rendered {i + 1} of {len(prepared.formats)} formats",
                    ),
                )
        except BaseException:
            # Stopped early: the renderers are ended, and their directory goes when
            # this returns (none may still write to it).
            running.stop_all()
            await asyncio.shield(asyncio.wait({rendering}))
            raise
        await rendering
        return files

    async def _download(self, store: ObjectStore, name: str, path: Path) -> None:
        """Object ``name`` into the file ``path``, chunk by chunk (bounded memory)."""
        info = await self.stores.object_info(store, name)
        out = await asyncio.to_thread(path.open, "wb")
        try:
            async for chunk in self.stores.object_chunks(store, name, info):
                out.write(chunk)  # into the page cache: no wait worth a thread
        finally:
            out.close()

    async def _store_format(
        self, job: ExportJob, fmt: str, rendered: list[OutputFile], written: list[str]
    ) -> list[ExportedFile]:
        """Store one format's files (read from disk as they are sent); returns their
        descriptions."""
        files: list[ExportedFile] = []
        for item in rendered:
            name = names.export_object(job.export_id, item.filename)
            written.append(name)
            path = Path(item.path)
            data = await asyncio.to_thread(path.open, "rb")
            try:
                await self.stores.write_object(self.stores.exports_data, name, data)
                size = data.tell()
            finally:
                data.close()
            files.append(
                ExportedFile(
                    format=fmt, filename=item.filename, size=size, content_type=item.content_type
                )
            )
            await asyncio.to_thread(path.unlink)  # stored: off the disk at once
            FILES.labels(format=fmt).inc()
        return files

    async def _save(self, lease: Lease[ExportState], state: ExportState) -> None:
        state.updated_at = utcnow()
        await lease.write(state)

    async def _fail(self, lease: Lease[ExportState], state: ExportState, error: ErrorInfo) -> None:
        state.status = "failed"
        state.error = error
        await self._save(lease, state)
        await self._publish(
            state.export_id,
            "error",
            ErrorEvent(job_id=state.export_id, error=error.message, details=error.details),
        )
        EXPORTS.labels(outcome="failed").inc()

    async def give_up(self, job: ExportJob, reason: str) -> None:
        """Fail the export once, after errors its run could not turn into a final state."""
        got = await claim(self.fencing, job.export_id, new_id("run"), solo=False)
        if got is None:
            return
        error = _error(
            "store_unavailable", 503, "the export could not be stored: the store kept failing",
            reason,
        )  # fmt: skip
        try:
            await self._fail(got.lease, got.state, error)
        except LeaseLostError:
            pass

    async def _publish(self, export_id: str, kind: str, event: msgspec.Struct) -> None:
        await self.ctx.nc.publish(names.event_subject(export_id, kind), encode(event))


def make_consumer(handler: ExporterHandler) -> JobConsumer[ExportJob]:
    """The runtime around the handler: one export at a time."""
    ctx = handler.ctx
    return JobConsumer(
        ctx.js,
        names.JOBS_STREAM,
        [names.EXPORTER_DURABLE],
        handler,
        slots=1,
        stopping=ctx.stopping,
        ack_wait=ctx.settings.ack_wait,
        shutdown_grace=max(10.0, ctx.settings.ack_wait),
    )


async def run(ctx: ServiceContext) -> None:
    """The exporter service body."""
    handler = ExporterHandler(ctx, await Stores.open(ctx.js))
    ctx.active_jobs = lambda: handler.active
    await make_consumer(handler).run()


async def _next_ready(
    ready: asyncio.Queue[tuple[str, list[OutputFile]]], rendering: asyncio.Future[Any]
) -> tuple[str, list[OutputFile]]:
    """The next rendered format; a rendering error is raised instead of waiting forever."""
    getting = asyncio.ensure_future(ready.get())
    await asyncio.wait({getting, rendering}, return_when=asyncio.FIRST_COMPLETED)
    if getting.done():
        return getting.result()
    getting.cancel()
    rendering.result()  # raises what the rendering raised
    return await ready.get()  # finished cleanly: its last format is queued
