"""The child's side of :mod:`~convoscope_analyzer.topic_process`: ``python -m
convoscope_analyzer.topic_child`` imports its libraries at low priority, then serves.

The parent starts the child when a job is claimed, long before the models are fitted
(the fit needs the plan's sample, ready when the corpus is redacted). Importing NumPy,
SciPy, scikit-learn and the engine's topic code costs about 2.5 CPU seconds; at normal
priority that time is taken from the job's own shards, which keep both cores busy.
So the imports run in a thread of nice :data:`IMPORT_NICE` (Linux gives each thread
its own nice value): they take the CPU the job leaves idle (the corpus read, the
coordinator's waits, the other core of a one-analyzer machine). The main thread, at
the process's own priority, waits for the first request; if the imports are not done
by then, their thread is given the process's priority back where the system allows
it (``CAP_SYS_NICE`` or ``RLIMIT_NICE``), and the request waits for them. Everything
the requests run (the fit, the reads) runs in the main thread at normal priority.

This module imports only the standard library at its top, so that even the engine's
modules load in the low-priority thread. Protocol and requests:
:mod:`~convoscope_analyzer.topic_process`.
"""

from __future__ import annotations

import os
import struct
import sys
import threading
import time
from typing import IO, Any

# The import thread's nice value: below every other thread of the machine's jobs.
IMPORT_NICE = 19

_HEADER = struct.Struct(">I")  # as topic_process's frames


class Loading:
    """The child's libraries imported in a low-priority thread (see the module
    docstring); :meth:`wait` joins it. ``seconds`` / ``cpu_seconds``: its wall and CPU
    time; ``waited``: how long a request waited for it."""

    def __init__(self) -> None:
        self.seconds = self.cpu_seconds = self.waited = 0.0
        self.error: BaseException | None = None
        self._priority = _own_nice()
        self._tid: int | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="topic-imports", daemon=True)
        self._thread.start()
        self._started.wait()

    def _run(self) -> None:
        self._tid = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, self._tid, max(self._priority, IMPORT_NICE))
        except (OSError, AttributeError):  # no per-thread priority here: import as is
            pass
        self._started.set()
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            from convoscope_analyzer.topic_process import load_libraries

            load_libraries()
        except BaseException as exc:  # raised again in the thread that waits
            self.error = exc
        finally:
            self.seconds = time.perf_counter() - wall
            self.cpu_seconds = time.thread_time() - cpu

    def wait(self) -> None:
        """Return once the imports are done (raising what they raised)."""
        if self._thread.is_alive():
            started = time.perf_counter()
            if self._tid is not None:
                try:  # a request waits: the imports are no longer background work
                    os.setpriority(os.PRIO_PROCESS, self._tid, self._priority)
                except (OSError, AttributeError):
                    pass  # not allowed to raise a priority here: wait at the low one
            self._thread.join()
            self.waited += time.perf_counter() - started
        if self.error is not None:
            raise self.error


def _own_nice() -> int:
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):
        return 0


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's payload (None when the stream ended)."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exactly(stream, size)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    parts: list[bytes] = []
    left = size
    while left:
        part = stream.read(left)
        if not part:
            return None  # the other side ended
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def main() -> int:
    """Serve the parent over stdin / stdout (stray prints go to stderr)."""
    loading = Loading()
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    first = read_frame(requests)  # waits beside the imports
    if first is None:
        return 0
    serve: Any
    try:
        loading.wait()
        from convoscope_analyzer.topic_process import serve
    except Exception as exc:  # the first request is answered with the failure
        try:
            from convoscope_analyzer.topic_process import fail_all
        except Exception:
            return 1  # the parent sees the child end
        fail_all(requests, answers, exc)
        return 1
    serve(requests, answers, first=first, loading=loading)
    return 0


if __name__ == "__main__":
    sys.exit(main())
