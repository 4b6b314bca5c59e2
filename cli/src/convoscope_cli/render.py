"""Render the chosen report formats, one process per format when there are cores to spare.

The formats are independent renderings of the same filtered results and corpus, so
rendering them in separate processes changes nothing in their bytes (a test compares
them with :func:`convoscope_exporter.pipeline.export_files`). Workers are forked: they
inherit the results and corpus instead of receiving a copy through a pipe. Where
``fork`` is not available (macOS, Windows) the formats are rendered one after the other.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.pipeline import PreparedExport, prepare_export
from convoscope_exporter.render import RenderedFile

# Slowest first (measured on a generated 20 MB export), so the long one starts at once.
_COST_ORDER = ("xlsx", "csv", "html", "pdf", "json")

# What forked workers render from: set in the parent just before the pool forks.
_SHARED: PreparedExport | None = None


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """True where worker processes can inherit memory (Linux)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def render_reports(
    formats: list[str],
    results: AnalysisResults,
    corpus: Corpus,
    *,
    job_id: str,
    export_id: str,
    include_pii: bool,
    raw_filter: dict[str, object] | None = None,
    file_hash: str = "",
    created_at: datetime | None = None,
    jobs: int = 1,
    on_rendered: Callable[[str, int, int], None] | None = None,
) -> list[RenderedFile]:
    """What ``export_files`` returns for the same arguments: the exporter's own
    ``prepare_export``, then each format rendered by one of up to ``jobs`` processes.
    ``on_rendered(fmt, done, total)`` is called as each format finishes.

    Raises ``InvalidFilterError`` / ``UnsupportedExportFormatError`` before rendering.
    """
    prepared = prepare_export(
        formats,
        results,
        corpus,
        export_id=export_id,
        job_id=job_id,
        include_pii=include_pii,
        raw_filter=raw_filter,
        file_hash=file_hash,
        created_at=created_at,
    )
    wanted = prepared.formats
    workers = min(jobs, len(wanted))
    by_format: dict[str, list[RenderedFile]] = {}
    if workers <= 1 or not can_fork():
        for fmt in wanted:
            by_format[fmt] = prepared.render(fmt)
            if on_rendered is not None:
                on_rendered(fmt, len(by_format), len(wanted))
    else:
        by_format = _render_in_pool(prepared, workers, on_rendered)
    return [file for fmt in wanted for file in by_format[fmt]]


def _render_in_pool(
    prepared: PreparedExport,
    workers: int,
    on_rendered: Callable[[str, int, int], None] | None,
) -> dict[str, list[RenderedFile]]:
    global _SHARED
    wanted = prepared.formats
    order = sorted(wanted, key=lambda f: _COST_ORDER.index(f) if f in _COST_ORDER else 0)
    by_format: dict[str, list[RenderedFile]] = {}
    # Buffered output would otherwise be written once more by every child.
    sys.stdout.flush()
    sys.stderr.flush()
    _SHARED = prepared
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_render_shared, fmt): fmt for fmt in order}
            for future in as_completed(futures):
                fmt = futures[future]
                by_format[fmt] = future.result()
                if on_rendered is not None:
                    on_rendered(fmt, len(by_format), len(wanted))
    finally:
        _SHARED = None
    return by_format


def _render_shared(fmt: str) -> list[RenderedFile]:
    """Runs in a forked worker: render one format from the inherited inputs."""
    assert _SHARED is not None, "render workers must be forked from render_reports"
    return _SHARED.render(fmt)
