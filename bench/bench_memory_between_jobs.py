"""Memory between jobs: an analyzer's memory as it runs job after job, through the API.

Every other figure of ``bench_e2e.py`` comes from one job per process. A replica runs
many, and what one job leaves in the process (free space its allocators keep) is where
the next one starts from. Starts nothing itself: point it at a freshly started stack
(``python -m convoscope_stack``, ``make run``) and it analyses several exports one after
the other (plain uploads; the first and the last of the same size, so their peaks
compare), sampling the resident size of every analyzer process of the stack every
50 ms, and prints per job and per analyzer:

- the resident size when the job was submitted (idle, after the previous job);
- the highest resident size sampled while the job ran (a peak shorter than 50 ms can
  slip between samples: ``VmHWM`` catches it);
- ``VmHWM`` after the job (the process's peak so far: it never goes down);
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
    """The highest resident size of each of ``pids`` since the last :meth:`take`."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self._peaks = dict.fromkeys(pids, 0.0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY):
            for pid in self.pids:
                rss = _status_mb(pid, "VmRSS:")
                with self._lock:
                    self._peaks[pid] = max(self._peaks[pid], rss)

    def take(self) -> dict[int, float]:
        """The peaks since the last call (and start again from zero)."""
        with self._lock:
            peaks, self._peaks = self._peaks, dict.fromkeys(self.pids, 0.0)
        return peaks

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


async def run(url: str, api_key: str | None, files: list[Path], settle: float) -> None:
    """Analyse ``files`` in order and print the table."""
    port = urlsplit(url).port or 80
    analyzers = _analyzers(port)
    if not analyzers:
        raise SystemExit(f"no analyzer process of the stack on port {port} on this machine")
    pids = list(analyzers)
    names = [analyzers[pid] for pid in pids]
    sampler = Sampler(pids)
    headers = {"X-API-Key": api_key} if api_key else {}
    rows: list[tuple[str, float, list[float], list[float], list[float]]] = []
    try:
        async with aiohttp.ClientSession(base_url=url, headers=headers) as http:
            for path in files:
                uploaded = await _upload(http, path)
                await asyncio.sleep(settle)  # ingest's work and the previous job's release
                idle = [_status_mb(pid, "VmRSS:") for pid in pids]
                sampler.take()
                await _analyse(http, url, api_key, uploaded["file_id"], "UTC")
                peaks = sampler.take()
                hwm = [_status_mb(pid, "VmHWM:") for pid in pids]
                rows.append(
                    (path.name, path.stat().st_size / 1e6, idle, [peaks[p] for p in pids], hwm)
                )
                print(f"  {path.name}: done", flush=True)
    finally:
        sampler.stop()
    print(f"analyzers: {', '.join(names)}")
    print(
        f"{'job':>3}  {'export':24} {'MB':>6}  {'idle before':>16}  {'peak sampled':>16}"
        f"  {'VmHWM after':>16}  {'peak / file':>11}"
    )
    for n, (name, mb, idle, peaks, hwm) in enumerate(rows, 1):

        def cells(values: list[float]) -> str:
            return " / ".join(f"{v:.0f}" for v in values)

        print(
            f"{n:>3}  {name[:24]:24} {mb:6.1f}  {cells(idle):>16}  {cells(peaks):>16}"
            f"  {cells(hwm):>16}  {max(peaks) / mb:10.2f}x"
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
