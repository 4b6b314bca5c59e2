"""Memory between jobs: an analyzer's memory as it runs job after job, through the API.

Every other figure of ``bench_e2e.py`` comes from one job per process. A replica runs
many, and what one job leaves in the process (free space its allocators keep) is where
the next one starts from. Starts nothing itself: point it at a freshly started stack
(``python -m convoscope_stack``, ``make run``) and it analyses several exports one after
the other (plain uploads; the first and the last of the same size, so their peaks
compare), sampling the resident size of every analyzer process of the stack every
50 ms, and prints per job and per analyzer:

- whether the replica was started afresh since the previous job (an analyzer ends
  itself when its memory stays high after a job, ``CONVOSCOPE_ANALYZER_RECYCLE_MB``);
- the resident size when the job was submitted (idle, after the previous job);
- the highest resident size sampled while the job ran (a peak shorter than 50 ms can
  slip between samples: ``VmHWM`` catches it);
- the highest ``VmHWM`` read while the job ran (the process's peak so far: it never
  goes down, so a value from an earlier job shows again unless the process is new);
- the job's export size and the highest sampled peak as a multiple of it.

    python bench/bench_memory_between_jobs.py --url http://127.0.0.1:5000
    python bench/bench_memory_between_jobs.py --files a.json b.json c.json a2.json

Generated exports (``--jobs``, ``--size-mb``) have a new seed each: the result cache
never answers them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_e2e import _analyse, _processes, _stack, _upload  # noqa: E402 - found through HERE
from generate_export import write_export  # noqa: E402 - found through HERE

SAMPLE_EVERY = 0.05


def _analyzers(port: int) -> dict[int, str]:
    """pid -> name of the analyzer processes of the stack serving ``port``."""
    processes = _processes()
    chosen, _ = _stack(processes, port)
    found = {
        pid: env.get("CONVOSCOPE_INSTANCE") or f"analyzer {pid}"
        for pid, _, cmdline, env in processes
        if pid in chosen and cmdline.rstrip().endswith("-m convoscope_analyzer")
    }
    return dict(sorted(found.items(), key=lambda item: item[1]))


def _status_mb(pid: int, field: str) -> float:
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024 * 1.048576  # kB -> MB
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


class Sampler:
    """Per analyzer replica (by name), since the last :meth:`take`: the highest resident
    size sampled, the highest ``VmHWM`` read, and how many times it was started afresh.

    A replica may end itself after a job and be started again
    (``CONVOSCOPE_ANALYZER_RECYCLE_MB``): its process is looked up again every
    ``LOOK_UP_EVERY`` samples, and ``VmHWM`` is read at every sample, so a peak of a
    process that has ended since is kept."""

    LOOK_UP_EVERY = 10

    def __init__(self, port: int) -> None:
        self._port = port
        self.pids = {name: pid for pid, name in _analyzers(port).items()}
        self.names = sorted(self.pids)
        self._lock = threading.Lock()
        self._reset()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _reset(self) -> None:
        self._peaks = dict.fromkeys(self.names, 0.0)
        self._hwm = dict.fromkeys(self.names, 0.0)
        self._restarts = dict.fromkeys(self.names, 0)

    def _run(self) -> None:
        samples = 0
        while not self._stop.wait(SAMPLE_EVERY):
            samples += 1
            if samples % self.LOOK_UP_EVERY == 0:
                found = {name: pid for pid, name in _analyzers(self._port).items()}
                with self._lock:
                    for name, pid in found.items():
                        if name in self.pids and pid != self.pids[name]:
                            self._restarts[name] += 1
                            self.pids[name] = pid
            for name in self.names:
                pid = self.pids[name]
                rss, hwm = _status_mb(pid, "VmRSS:"), _status_mb(pid, "VmHWM:")
                with self._lock:
                    self._peaks[name] = max(self._peaks[name], rss)
                    self._hwm[name] = max(self._hwm[name], hwm)

    def resident(self) -> list[float]:
        """Each replica's resident size now."""
        return [_status_mb(self.pids[name], "VmRSS:") for name in self.names]

    def take(self) -> tuple[list[float], list[float], list[int]]:
        """Peaks sampled, highest VmHWM and restarts since the last call (then from zero)."""
        with self._lock:
            taken = (
                [self._peaks[n] for n in self.names],
                [self._hwm[n] for n in self.names],
                [self._restarts[n] for n in self.names],
            )
            self._reset()
        return taken

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


async def run(url: str, api_key: str | None, files: list[Path], settle: float) -> None:
    """Analyse ``files`` in order and print the table."""
    port = urlsplit(url).port or 80
    if not _analyzers(port):
        raise SystemExit(f"no analyzer process of the stack on port {port} on this machine")
    sampler = Sampler(port)
    headers = {"X-API-Key": api_key} if api_key else {}
    rows: list[tuple[str, float, list[float], list[float], list[float], list[int]]] = []
    try:
        async with aiohttp.ClientSession(base_url=url, headers=headers) as http:
            for path in files:
                uploaded = await _upload(http, path)
                await asyncio.sleep(settle)  # ingest's work and the previous job's release
                _, _, restarts = sampler.take()  # a replica started afresh after the last job
                idle = sampler.resident()
                await _analyse(http, url, api_key, uploaded["file_id"], "UTC")
                await asyncio.sleep(2 * SAMPLE_EVERY)
                peaks, hwm, _ = sampler.take()
                size = path.stat().st_size / 1e6
                rows.append((path.name, size, idle, peaks, hwm, restarts))
                print(f"  {path.name}: done", flush=True)
    finally:
        sampler.stop()
    print(f"analyzers: {', '.join(sampler.names)}")
    print(
        f"{'job':>3}  {'export':24} {'MB':>6}  {'fresh before':>12}  {'idle before':>16}"
        f"  {'peak sampled':>16}  {'VmHWM':>16}  {'peak / file':>11}"
    )
    for n, (name, mb, idle, peaks, hwm, restarts) in enumerate(rows, 1):

        def cells(values: list[float] | list[int]) -> str:
            return " / ".join(f"{v:.0f}" for v in values)

        print(
            f"{n:>3}  {name[:24]:24} {mb:6.1f}  {cells(restarts):>12}  {cells(idle):>16}"
            f"  {cells(peaks):>16}  {cells(hwm):>16}  {max(peaks) / mb:10.2f}x"
        )
    print(
        "fresh before: the replica was started afresh (recycled) since the previous job; "
        "VmHWM: the highest read while the job ran (a recycled process's included)"
    )


def main() -> None:
    """Parse arguments, make the exports if needed, run the jobs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--api-key")
    parser.add_argument("--files", type=Path, nargs="+", help="exports to analyse, in order")
    parser.add_argument("--jobs", type=int, default=5, help="generated exports (without --files)")
    parser.add_argument("--size-mb", type=float, default=90.0)
    parser.add_argument(
        "--settle", type=float, default=4.0, help="seconds between an upload and its analysis"
    )
    args = parser.parse_args()
    if args.files:
        asyncio.run(run(args.url, args.api_key, args.files, args.settle))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        seed = time.time_ns() % 1_000_000
        for n in range(args.jobs):
            path = Path(tmp) / f"export-{n + 1}.json"
            size = int(args.size_mb * 1024 * 1024)
            write_export("claude", size, path, seed=seed + n, unique=True)
            files.append(path)
        asyncio.run(run(args.url, args.api_key, files, args.settle))


if __name__ == "__main__":
    main()
