"""End-to-end benchmark: what a person meets, through the public API of a running stack.

Starts nothing itself. Point it at a running ConvoScope (``make run``, or
``python -m convoscope_stack --analyzers 2``, or ``docker compose up``) and it:

1. makes (or takes) an export: by default a generated claude.ai export of about 90 MB
   with a generated clause in every text (>= 95 % distinct message texts);
2. measures the floor in the same run: ``msgspec.json.decode`` of the file with the
   garbage collector off;
3. ``POST /api/upload`` until the metadata is back;
4. ``POST /api/analysis`` until the Socket.IO ``complete`` event (and compares
   ``estimated_duration`` with the time it took);
5. ``GET /api/analysis/{id}`` (seconds and body size);
6. ``POST /api/export`` with csv, xlsx, pdf, html and json until every file is downloaded;

and prints seconds and x floor per stage, plus the peak RSS (``VmHWM``) of every
ConvoScope process on this machine, each beside the file size, the cores the whole stack
and the machine kept busy during the analysis, and the machine's
parallel capacity before and after (``parallel_capacity.py``: on a shared host the
second core is not always there, and a 2-against-1 ratio cannot exceed it).

    python bench/bench_e2e.py --url http://127.0.0.1:5000
    python bench/bench_e2e.py --file conversations.json --api-key KEY
    python bench/bench_e2e.py --file export.zip --upload-only   # ingest figures only
    python bench/bench_e2e.py --file export.json --no-exports   # analysis figures only
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import msgspec
import socketio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_export import write_export  # noqa: E402 - found through HERE
from parallel_capacity import parallel_capacity  # noqa: E402 - found through HERE

FORMATS = ["csv", "xlsx", "pdf", "html", "json"]


def floor_seconds(data: bytes) -> float:
    """``msgspec.json.decode`` of ``data`` with the collector off (the yardstick); for a
    ZIP, of its conversation files (inflated beforehand, outside the timing)."""
    global FLOOR_CPU
    documents = [data]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            documents = [
                archive.read(name)
                for name in archive.namelist()
                if name.rsplit("/", 1)[-1].startswith("conversations")
            ]
    gc.collect()
    gc.disable()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for document in documents:
            decoded = msgspec.json.decode(document)
            del decoded
        elapsed = time.perf_counter() - started
        FLOOR_CPU = time.process_time() - cpu
    finally:
        gc.enable()
    return elapsed


# CPU seconds of the floor's decode: on a shared machine wall-clock ratios move with the
# neighbours' load, CPU seconds much less.
FLOOR_CPU = 0.0


def _cpu_of(pid: int) -> float:
    """CPU seconds of a process and of the children it has waited for (/proc/<pid>/stat:
    utime, stime, cutime, cstime); 0 when it is gone."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def exporter_cpu(port: int, service: str = "exporter") -> float:
    """CPU seconds the stack's exporter processes and the renderers they waited for
    have used so far; or another service's (``service``: the analyzers and the
    topic-model processes they ended)."""
    return sum(
        _cpu_of(pid)
        for pid, _, cmdline, env in _processes()
        if f"-m convoscope_{service} " in f"{cmdline} " and env.get("CONVOSCOPE_PORT") == str(port)
    )


def _stack(
    processes: list[tuple[int, int, str, dict[str, str]]], port: int
) -> tuple[set[int], set[int]]:
    """The services of the stack serving ``port`` (by their ``CONVOSCOPE_PORT``) with the
    other processes their launcher started (nats-server), and the launchers."""
    services = {
        pid
        for pid, _, cmd, env in processes
        if "-m convoscope_" in cmd and env.get("CONVOSCOPE_PORT") == str(port)
    }
    launchers = {ppid for pid, ppid, _, _ in processes if pid in services}
    return services | {pid for pid, ppid, _, _ in processes if ppid in launchers}, launchers


def stack_cpu(port: int) -> float:
    """CPU seconds of the whole stack serving ``port`` so far: its services, the
    nats-server beside them, and every process they started (topic-model processes,
    renderers: running ones directly, ended ones through their parent)."""
    processes = _processes()
    chosen, _ = _stack(processes, port)
    while True:  # and their descendants
        more = {pid for pid, ppid, _, _ in processes if ppid in chosen} - chosen
        if not more:
            break
        chosen |= more
    return sum(_cpu_of(pid) for pid in chosen)


def machine_busy() -> float:
    """CPU seconds every core of this machine has been busy so far (/proc/stat: all but
    idle and iowait), whoever used them."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def _upload(http: aiohttp.ClientSession, path: Path) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field("file", path.open("rb"), filename=path.name, content_type="application/json")
    async with http.post("/api/upload", data=form) as resp:
        body: dict[str, Any] = await resp.json()
        if resp.status != 200:
            raise SystemExit(f"upload failed: {resp.status} {body}")
    return body


async def _analyse(
    http: aiohttp.ClientSession, url: str, api_key: str | None, file_id: str, timezone: str
) -> tuple[str, float]:
    """Start an analysis and wait for its terminal event; returns (job id, estimate)."""
    done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    sio = socketio.AsyncClient(reconnection=True)

    def finish(payload: dict[str, Any]) -> None:
        if not done.done():
            done.set_result(payload)

    sio.on("complete", finish)
    sio.on("error", finish)
    sio.on("cancelled", finish)
    await sio.connect(url, transports=["websocket"], auth={"api_key": api_key} if api_key else None)
    try:
        options = {"timezone": timezone}
        async with http.post("/api/analysis", json={"file_id": file_id, "options": options}) as r:
            job: dict[str, Any] = await r.json()
            if r.status not in (200, 201, 202):
                raise SystemExit(f"analysis refused: {r.status} {job}")
        ack = await sio.call("subscribe", {"job_id": job["job_id"]}, timeout=30)
        if ack.get("status") in ("complete", "failed", "cancelled"):
            finish({"status": ack["status"]})
        event = await asyncio.wait_for(done, timeout=3600)
        if event.get("status") != "complete":
            raise SystemExit(f"analysis did not complete: {event}")
    finally:
        await sio.disconnect()
    return job["job_id"], float(job.get("estimated_duration") or 0.0)


async def _export(http: aiohttp.ClientSession, job_id: str) -> int:
    """All formats, until every file is downloaded; returns the bytes downloaded."""
    async with http.post("/api/export", json={"job_id": job_id, "formats": FORMATS}) as resp:
        state: dict[str, Any] = await resp.json()
        if resp.status not in (200, 202):
            raise SystemExit(f"export refused: {resp.status} {state}")
    while state.get("status") not in ("complete", "failed"):
        await asyncio.sleep(0.2)
        async with http.get(f"/api/export/{state['export_id']}") as resp:
            state = await resp.json()
    if state["status"] != "complete":
        raise SystemExit(f"export failed: {state}")
    total = 0
    for item in state["files"]:
        async with http.get(item["url"]) as resp:
            async for chunk in resp.content.iter_chunked(1 << 20):
                total += len(chunk)
    return total


def _processes() -> list[tuple[int, int, str, dict[str, str]]]:
    """(pid, parent pid, command line, environment) of every readable process."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (proc / "environ").read_bytes().split(b"\0")
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        env = dict(item.decode(errors="replace").split("=", 1) for item in environ if b"=" in item)
        found.append((int(proc.name), ppid, cmdline, env))
    return found


def _named(port: int) -> list[tuple[str, int, dict[str, str]]]:
    """(name, pid, environment) of the processes of the stack serving ``port``: its
    services (by their ``CONVOSCOPE_PORT``; a replica by its instance name), and the
    launcher and nats-server that started them."""
    processes = _processes()
    chosen, launchers = _stack(processes, port)
    chosen |= {pid for pid in launchers if pid > 1}
    named: list[tuple[str, int, dict[str, str]]] = []
    taken: set[str] = set()
    for pid, _, cmdline, env in sorted(processes):
        if pid not in chosen:
            continue
        if "nats-server" in cmdline:
            name = "nats-server"
        elif "convoscope_analyzer.topic_child" in cmdline:
            name = "topic spare"  # a replica's topic-model process waiting for a job
        elif "-m convoscope_" in cmdline:
            name = env.get("CONVOSCOPE_INSTANCE") or cmdline.split("-m convoscope_")[1].split()[0]
        else:
            name = "launcher"
        key, index = name, 2
        while key in taken:
            key, index = f"{name}#{index}", index + 1
        taken.add(key)
        named.append((key, pid, env))
    return named


def _hwm(pid: int) -> int | None:
    """VmHWM of ``pid`` in bytes (None: gone or unreadable)."""
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return None
    hwm = next((line for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return int(hwm.split()[1]) * 1024 if hwm is not None else None


class HwmWatch:
    """The highest VmHWM of every process of the stack while the bench runs. An analyzer
    replica may end itself after its job and be started again
    (``CONVOSCOPE_ANALYZER_RECYCLE_MB``): the new process's VmHWM would leave the job's
    peak out, so each process's is read every ``EVERY`` seconds and the processes are
    looked up again every ``LOOK_UP`` readings."""

    EVERY = 0.1
    LOOK_UP = 10

    def __init__(self, port: int) -> None:
        self._port = port
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        named: list[tuple[str, int]] = []
        readings = 0
        while True:
            if readings % self.LOOK_UP == 0:
                named = [(k, pid) for k, pid, _ in _named(self._port) if k != "topic spare"]
            readings += 1
            for key, pid in named:
                hwm = _hwm(pid)
                if hwm is not None:
                    self.peaks[key] = max(self.peaks.get(key, 0), hwm)
            if self._stop.wait(self.EVERY):
                return

    def stop(self) -> dict[str, int]:
        """Stop watching; the peaks seen."""
        self._stop.set()
        self._thread.join()
        return self.peaks


def peak_rss(port: int, seen: dict[str, int] | None = None) -> dict[str, int]:
    """Peak RSS (VmHWM) of the stack serving ``port`` (see :func:`_named`), or the higher
    peak ``seen`` earlier (:class:`HwmWatch`) of a process by that name."""
    peaks: dict[str, int] = {}
    for key, pid, env in _named(port):
        hwm = _hwm(pid)
        if hwm is None:
            continue
        peaks[key] = max(hwm, (seen or {}).get(key, 0))
        if key == "topic spare":
            continue  # its environment names its replica's /metrics: read there
        metrics_port = env.get("CONVOSCOPE_METRICS_PORT")
        renderers = _renderers_peak(metrics_port)
        if renderers:
            peaks[f"{key} renderers"] = renderers
        topics = _renderers_peak(metrics_port, "convoscope_analyzer_topic_process_peak_rss_bytes")
        if topics:
            peaks[f"{key} topic process"] = topics
    return peaks


def _renderers_peak(
    metrics_port: str | None, metric: str = "convoscope_exporter_renderer_peak_rss_bytes"
) -> int:
    """The exporter's largest rendering process (its own VmHWM leaves out the processes
    it forks to render; they are gone when this runs), from its /metrics; or another
    such gauge (``metric``: an analyzer's largest topic-model process)."""
    if not metrics_port:
        return 0
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(f"{metric} "):
            return int(float(line.split()[1]))
    return 0


async def run(args: argparse.Namespace, path: Path, size: int, floor: float) -> None:
    """Drive the stages and print the table."""
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    timeout = aiohttp.ClientTimeout(total=None, sock_read=3600)
    rows: list[tuple[str, float, str]] = []
    async with aiohttp.ClientSession(args.url, headers=headers, timeout=timeout) as http:
        started = time.perf_counter()
        uploaded = await _upload(http, path)
        rows.append(("POST /api/upload until metadata", time.perf_counter() - started, ""))
        messages = uploaded["metadata"]["messages"]
        if args.upload_only:
            _print(args, path, size, floor, rows, messages, None)
            return

        port = urlsplit(args.url).port or 80
        started, cpu = time.perf_counter(), exporter_cpu(port, "analyzer")
        whole, busy = stack_cpu(port), machine_busy()
        job_id, estimate = await _analyse(
            http, args.url, args.api_key, uploaded["file_id"], args.timezone
        )
        took = time.perf_counter() - started
        # CPU seconds of every analyzer process over the analysis (and of the topic-model
        # processes they ended meanwhile): a figure the machine's other load moves less.
        used = exporter_cpu(port, "analyzer") - cpu
        rows.append(
            (
                "analysis until Socket.IO complete",
                took,
                f"estimated {estimate:.1f} s; analyzers' CPU {used:.1f} s = "
                f"{used / max(FLOOR_CPU, 1e-9):.1f}x the floor's CPU",
            )
        )
        # Whether the analysis was bounded by the cores: the whole stack's CPU (the
        # analyzers, their topic-model processes, nats-server, ...) and the machine's
        # busy CPU (other tenants too) over it, as cores busy on average.
        whole, busy = stack_cpu(port) - whole, machine_busy() - busy
        CORES[:] = [whole, busy, took]

        started = time.perf_counter()
        async with http.get(f"/api/analysis/{job_id}") as resp:
            body = await resp.read()
        rows.append(
            (
                "GET /api/analysis/{id}",
                time.perf_counter() - started,
                f"{len(body) / 1e6:.2f} MB",
            )
        )

        if args.no_exports:
            _print(args, path, size, floor, rows, messages, estimate)
            return
        started, cpu = time.perf_counter(), exporter_cpu(port)
        downloaded = await _export(http, job_id)
        export_cpu = exporter_cpu(port) - cpu
        rows.append(
            (
                "POST /api/export (5 formats) until downloaded",
                time.perf_counter() - started,
                f"{downloaded / 1e6:.1f} MB; exporter CPU {export_cpu:.1f} s = "
                f"{export_cpu / max(FLOOR_CPU, 1e-9):.1f}x the floor's CPU ({FLOOR_CPU:.2f} s)",
            )
        )
    _print(args, path, size, floor, rows, messages, estimate)


def _print(
    args: argparse.Namespace,
    path: Path,
    size: int,
    floor: float,
    rows: list[tuple[str, float, str]],
    messages: int,
    estimate: float | None,
) -> None:
    total = sum(seconds for _, seconds, _ in rows)
    print(f"export: {path.name}, {size / 1e6:.1f} MB, {messages:,} messages; stack {args.url}")
    print(f"{'stage':48} {'seconds':>8} {'x floor':>8}  note")
    print(f"{'floor: msgspec.json.decode, GC off':48} {floor:8.2f} {1:8.0f}")
    for name, seconds, note in rows:
        print(f"{name:48} {seconds:8.2f} {seconds / floor:8.1f}  {note}")
    print(f"{'total':48} {total:8.2f} {total / floor:8.1f}")
    print(
        "parallel capacity (2 CPU-bound processes vs 1; 2.00 = two free cores): "
        f"{CAPACITY[0]:.2f} before, {parallel_capacity():.2f} after"
    )
    if estimate is not None:
        print(f"estimated_duration / actual analysis: {estimate / rows[1][1]:.2f}")
    if CORES:
        whole, busy, took = CORES
        print(
            f"during the analysis: the stack used {whole:.1f} CPU s ({whole / took:.2f} cores "
            f"on average), the machine {busy:.1f} CPU s ({busy / took:.2f} of "
            f"{os.cpu_count()} cores busy)"
        )
    print("peak RSS (VmHWM) of the processes on this machine:")
    seen = dict(WATCH[0].peaks) if WATCH else None
    for name, peak in sorted(peak_rss(urlsplit(args.url).port or 80, seen).items()):
        print(f"  {name:20} {peak / 1e6:8.1f} MB  {peak / size:5.2f}x the file")


def main() -> None:
    """Parse arguments, make the export if needed, run the stages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--api-key")
    parser.add_argument("--file", type=Path, help="an export to use instead of a generated one")
    parser.add_argument("--size-mb", type=float, default=90.0)
    parser.add_argument("--vendor", choices=["claude", "chatgpt"], default="claude")
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument(
        "--upload-only", action="store_true", help="stop after the upload stage (ingest figures)"
    )
    parser.add_argument(
        "--no-exports",
        action="store_true",
        help="stop after GET /api/analysis (analysis figures only; total leaves exports out)",
    )
    args = parser.parse_args()
    if args.file:
        _measure(args, args.file)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "conversations.json"
        # A new seed each run: the same bytes would be answered from the upload cache.
        seed = time.time_ns() % 1_000_000
        write_export(args.vendor, int(args.size_mb * 1024 * 1024), path, seed=seed, unique=True)
        _measure(args, path)


# The machine's parallel capacity measured just before the stages (parallel_capacity.py):
# what a 2-against-1 ratio of this run can reach.
CAPACITY = [0.0]
# Over the analysis: the stack's CPU seconds, the machine's busy CPU seconds, its wall time.
CORES: list[float] = []


# The stack's processes' peaks while the stages run (a recycled analyzer's included).
WATCH: list[HwmWatch] = []


def _measure(args: argparse.Namespace, path: Path) -> None:
    CAPACITY[0] = parallel_capacity()
    data = path.read_bytes()
    size, floor = len(data), floor_seconds(data)
    del data
    WATCH.append(HwmWatch(urlsplit(args.url).port or 80))
    try:
        asyncio.run(run(args, path, size, floor))
    finally:
        WATCH.pop().stop()


if __name__ == "__main__":
    main()
