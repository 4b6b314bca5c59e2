"""Timing of an analysis' stages as structured log events (``analysis_stage``).

Every stage of a job (claim, corpus read and decode, redaction, plan, shard dispatch,
per-shard load / analyse / store, merge, result encode and store, light document) logs
one event with its wall seconds, the CPU seconds of the thread that ran it and the
process's resident memory at its end, plus sizes and counts the caller adds (bytes,
messages, shard index) — ids and figures, never text. The job id travels in
structlog's contextvars (bound by the worker; copied into the threads and the
coroutines a job starts).

    with stage("corpus_decode", bytes=len(blob)) as extra:
        corpus = load_corpus(blob)
        extra["messages"] = count
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from convoscope_common.logs import get_logger

log = get_logger("convoscope_analyzer.stages")

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mb() -> float | None:
    """This process's resident memory now, in MB (None where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return round(int(f.read().split()[1]) * _PAGE / 1e6, 1)
    except (OSError, ValueError, IndexError):
        return None


def hwm_mb() -> float | None:
    """This process's peak resident memory so far (VmHWM), in MB (None without /proc)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return round(int(line.split()[1]) * 1024 / 1e6, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


@contextmanager
def stage(name: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Log ``analysis_stage`` with ``stage=name``, ``seconds`` and ``cpu_seconds`` when the
    block ends (normally or not: ``ok`` says which). The yielded dict takes figures known
    only inside the block."""
    extra: dict[str, Any] = {}
    wall, cpu = time.perf_counter(), time.thread_time()
    ok = False
    try:
        yield extra
        ok = True
    finally:
        log.info(
            "analysis_stage",
            stage=name,
            seconds=round(time.perf_counter() - wall, 4),
            cpu_seconds=round(time.thread_time() - cpu, 4),
            ok=ok,
            rss_mb=rss_mb(),
            hwm_mb=hwm_mb(),
            **fields,
            **extra,
        )
