"""``convoscope analyze --server URL``: upload over REST, follow over Socket.IO, download.

Progress comes from the job's Socket.IO room (``subscribe``); a slow poll of
``GET /api/analysis/{id}`` backs it up in case an event is lost on the way.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import socketio

from convoscope_cli.errors import AnalysisFailedError, ServerError
from convoscope_cli.http_errors import api_error
from convoscope_cli.local import RunOutcome, read_export, write_files
from convoscope_cli.options import AnalyzeRequest
from convoscope_cli.progress import Reporter
from convoscope_common.api import AnalysisAccepted, AnalysisStatus, ExportResponse, UploadResponse
from convoscope_common.records import TERMINAL_STATUSES

_UPLOADED = 0.05
_ANALYSED = 0.85
_POLL_SECONDS = 5.0
_EXPORT_POLL_SECONDS = 0.3
# Generous: a large export takes minutes to analyse; the server has its own job timeout.
_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10, sock_read=900)


def run_remote(request: AnalyzeRequest, reporter: Reporter) -> RunOutcome:
    """Run the whole remote flow; raises a :class:`CliError` subclass on failure."""
    return asyncio.run(_Remote(request, reporter).run())


class _Remote:
    def __init__(self, request: AnalyzeRequest, reporter: Reporter) -> None:
        assert request.server is not None
        self.request = request
        self.reporter = reporter
        self.base = request.server.rstrip("/")
        self.headers = {"X-API-Key": request.api_key} if request.api_key else {}

    async def run(self) -> RunOutcome:
        data = read_export(self.request.export)
        try:
            async with aiohttp.ClientSession(
                base_url=self.base + "/", headers=self.headers, timeout=_TIMEOUT
            ) as http:
                return await self._run(http, data)
        except (aiohttp.ClientConnectionError, aiohttp.InvalidURL, TimeoutError) as exc:
            raise ServerError(f"cannot reach {self.base}: {exc or type(exc).__name__}") from None

    async def _run(self, http: aiohttp.ClientSession, data: bytes) -> RunOutcome:
        self.reporter.update(0.0, "Uploading", f"{len(data):,} bytes to {self.base}")
        form = aiohttp.FormData()
        form.add_field(
            "file", data, filename=self.request.export.name, content_type="application/json"
        )
        upload = await self._call(http, "POST", "api/upload", UploadResponse, "upload", data=form)
        del form, data
        meta = upload.metadata
        self.reporter.start(meta.messages)
        self.reporter.update(
            _UPLOADED,
            "Uploaded",
            f"{meta.conversations:,} conversations, {meta.messages:,} messages",
        )
        accepted = await self._call(
            http,
            "POST",
            "api/analysis",
            AnalysisAccepted,
            "analysis",
            json={"file_id": upload.file_id, "options": {"timezone": self.request.timezone}},
        )
        if accepted.status not in TERMINAL_STATUSES:
            await self._follow(http, accepted.job_id)
        status = await self._call(
            http, "GET", f"api/analysis/{accepted.job_id}", AnalysisStatus, "analysis"
        )
        if status.status != "complete" or status.results is None:
            reason = status.error.message if status.error else f"the job ended {status.status}"
            raise AnalysisFailedError(f"the analysis did not complete: {reason}")
        paths = await self._export(http, accepted.job_id)
        self.reporter.update(1.0, "Done", f"{len(paths)} files written")
        return RunOutcome(
            metadata=meta, results=status.results, paths=paths, file_hash=upload.file_hash
        )

    async def _call(
        self,
        http: aiohttp.ClientSession,
        method: str,
        path: str,
        kind: type[Any],
        stage: str,
        **kwargs: Any,
    ) -> Any:
        async with http.request(method, path, **kwargs) as resp:
            body = await resp.read()
            if resp.status >= 400:
                raise api_error(resp.status, body, stage=stage)
        try:
            return msgspec.json.decode(body, type=kind)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ServerError(
                f"{self.base} did not answer like a ConvoScope server: {exc}"
            ) from None

    async def _follow(self, http: aiohttp.ClientSession, job_id: str) -> None:
        """Wait for the job's end, showing its progress events."""
        done = asyncio.Event()
        sio = socketio.AsyncClient(reconnection=True)
        seen = 0  # events carry every insight so far: print only the new ones

        def on_progress(event: dict[str, Any]) -> None:
            nonlocal seen
            if event.get("job_id") != job_id:
                return
            insights = [str(i) for i in event.get("insights") or []]
            new, seen = insights[seen:], max(seen, len(insights))
            percent = float(event.get("progress") or 0.0)
            fraction = _UPLOADED + percent / 100 * (_ANALYSED - _UPLOADED)
            self.reporter.update(
                fraction,
                str(event.get("current_step") or "Analysing"),
                str(event.get("message") or ""),
                new,
            )

        def on_final(event: dict[str, Any]) -> None:
            if event.get("job_id") == job_id:
                done.set()

        sio.on("progress", on_progress)
        for name in ("complete", "error", "cancelled"):
            sio.on(name, on_final)
        try:
            await sio.connect(
                self.base,
                headers=self.headers,
                auth={"api_key": self.request.api_key} if self.request.api_key else None,
                wait_timeout=10,
            )
            ack = await sio.call("subscribe", {"job_id": job_id}, timeout=10)
            if isinstance(ack, dict) and ack.get("status") in TERMINAL_STATUSES:
                done.set()
        except (socketio.exceptions.SocketIOError, TimeoutError):
            pass  # no live events: the poll below still sees the end
        try:
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), _POLL_SECONDS)
                if not done.is_set():
                    status = await self._call(
                        http, "GET", f"api/analysis/{job_id}", AnalysisStatus, "analysis"
                    )
                    if status.status in TERMINAL_STATUSES:
                        done.set()
        finally:
            with contextlib.suppress(Exception):
                await sio.disconnect()

    async def _export(self, http: aiohttp.ClientSession, job_id: str) -> list[Path]:
        formats = self.request.formats
        self.reporter.update(_ANALYSED, "Rendering reports", ", ".join(formats))
        options: dict[str, object] = {"include_pii": self.request.include_pii}
        if self.request.filter:
            options["filter"] = self.request.filter
        export = await self._call(
            http,
            "POST",
            "api/export",
            ExportResponse,
            "export",
            json={"job_id": job_id, "formats": formats, "options": options},
        )
        while export.status not in ("complete", "failed"):
            await asyncio.sleep(_EXPORT_POLL_SECONDS)
            export = await self._call(
                http, "GET", f"api/export/{export.export_id}", ExportResponse, "export"
            )
        if export.status != "complete":
            raise AnalysisFailedError("the reports could not be rendered by the server")
        files: list[tuple[str, bytes]] = []
        for i, file in enumerate(export.files):
            async with http.get(file.url.lstrip("/")) as resp:
                body = await resp.read()
                if resp.status >= 400:
                    raise api_error(resp.status, body, stage="export")
            files.append((file.filename, body))
            fraction = _ANALYSED + (1 - _ANALYSED) * (i + 1) / len(export.files)
            self.reporter.update(fraction, "Downloading reports", file.filename)
        return write_files(self.request.out_dir, files)
