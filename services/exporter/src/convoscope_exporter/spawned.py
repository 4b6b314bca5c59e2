"""Render the formats of a stored export, each in a fresh process of its own.

The exporter service starts ``python -m convoscope_exporter.spawned DIR FORMAT`` once
per format, up to ``processes`` at a time. A fresh interpreter, not a fork: a forked
renderer would start at the service's own size (its imports, NATS buffers, whatever it
held at the fork), and its peak would add its format's work on top. A fresh one imports
only its format's libraries, reads the stored files itself
(:meth:`~convoscope_exporter.stored.StoredExport.render_into`), writes its files into
the directory and prints their descriptions (JSON) on stdout. The service stores each
format's files as soon as its process ends; none of it passes through a pipe.

Waited-for children count in ``RUSAGE_CHILDREN``, so
:func:`convoscope_exporter.parallel.renderers_peak_rss` still measures them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import msgspec

from convoscope_exporter.parallel import cost_order
from convoscope_exporter.stored import OutputFile, StoredExport

OnFiles = Callable[[str, list[OutputFile]], None]
_STDERR_TAIL = 2000  # characters of a failed renderer's stderr kept in the error


class RenderProcessError(RuntimeError):
    """A rendering process failed: its format, exit status and the end of its stderr."""

    def __init__(self, fmt: str, status: int, stderr: str) -> None:
        super().__init__(f"rendering {fmt} failed (exit status {status}): {stderr}")
        self.format = fmt
        self.status = status


class RenderProcesses:
    """The rendering processes alive now, so that a failure (or the caller, when it
    stops waiting) can stop them all; none starts once they were stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen[bytes]] = set()
        self.stopped = False

    def start(self, args: list[str]) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self.stopped:
                return None
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self._procs.add(proc)
            return proc

    def done(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def stop_all(self) -> None:
        """Kill every running renderer; start no other."""
        with self._lock:
            self.stopped = True
            for proc in self._procs:
                proc.kill()


def render_in_processes(
    stored: StoredExport,
    processes: int,
    on_files: OnFiles,
    running: RenderProcesses | None = None,
) -> None:
    """Render every format of ``stored``, up to ``processes`` at once, one fresh process
    each; ``on_files(fmt, files)`` is called in this thread as each format is ready
    (completion order). The first failure stops the other processes and is raised as
    :class:`RenderProcessError`; ``running.stop_all()`` from another thread stops them
    too (the formats not rendered then raise it)."""
    stored.save_request()
    running = running or RenderProcesses()
    order = cost_order(stored.formats)
    with ThreadPoolExecutor(max_workers=max(1, min(processes, len(order)))) as pool:
        futures = {pool.submit(_render_one, running, stored.directory, fmt): fmt for fmt in order}
        try:
            for future in as_completed(futures):
                on_files(futures[future], future.result())
        except BaseException:
            running.stop_all()
            raise


def _render_one(running: RenderProcesses, directory: Path, fmt: str) -> list[OutputFile]:
    args = [sys.executable, "-m", "convoscope_exporter.spawned", str(directory), fmt]
    proc = running.start(args)
    if proc is None:
        raise RenderProcessError(fmt, -1, "not started: another format failed")
    try:
        out, err = proc.communicate()
    finally:
        running.done(proc)
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace")[-_STDERR_TAIL:].strip()
        raise RenderProcessError(fmt, proc.returncode, tail)
    return msgspec.json.decode(out, type=list[OutputFile])


def main(argv: list[str]) -> int:
    """The rendering process: ``DIR FORMAT``; the files written, as JSON, on stdout."""
    directory, fmt = argv
    # Only the answer goes to stdout: anything a library prints (a log line) goes to
    # stderr instead, at the descriptor level.
    sys.stdout.flush()
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stored = StoredExport.open(Path(directory))
    files = stored.render_into(fmt, Path(directory) / f"out-{fmt}")
    with answer:
        answer.write(msgspec.json.encode(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
