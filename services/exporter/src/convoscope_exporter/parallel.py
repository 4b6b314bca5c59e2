"""Render the formats of one prepared export in parallel, one forked process per format.

The formats are independent renderings of the same prepared export, so rendering them
in separate processes changes nothing in their bytes (tests compare them with
:meth:`convoscope_exporter.pipeline.PreparedExport.render` called format after format).
Workers are forked: they inherit the decoded results and corpus of a
:class:`~convoscope_exporter.pipeline.PreparedExport` (the command line) instead of
receiving a copy through a pipe. Where ``fork`` is not available (macOS, Windows), or
one process is asked for, the formats are rendered one after the other in the caller's
thread. (The exporter service renders from the stored files instead, each format in a
fresh process: :mod:`convoscope_exporter.spawned`.)
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Protocol

from convoscope_exporter.pipeline import PreparedExport
from convoscope_exporter.render import RenderedFile


class RenderSource(Protocol):
    """What the formats of one export render from."""

    @property
    def formats(self) -> list[str]:
        """The formats to render, each once."""
        ...

    def prepared_for(self, fmt: str) -> PreparedExport:
        """The prepared export ``fmt`` renders from (decoded in the calling process)."""
        ...


# The slowest (measured on a generated 90 MB export) first, so it starts at once; then
# json, quick to render but the largest file (the whole results document), so that it is
# stored while the others render instead of after them; then the rest, slowest first.
_COST_ORDER = ("xlsx", "json", "csv", "pdf", "html")

# What forked workers render from: set in the parent just before the pool forks.
_SHARED: RenderSource | None = None

OnRendered = Callable[[str, list[RenderedFile], int, int], None]


def cost_order(formats: list[str]) -> list[str]:
    """``formats`` in the order they should start: the slowest first (see above)."""
    return sorted(formats, key=lambda f: _COST_ORDER.index(f) if f in _COST_ORDER else 0)


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """True where worker processes can inherit memory (Linux)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def render_formats(
    prepared: RenderSource,
    processes: int,
    on_rendered: OnRendered | None = None,
    *,
    keep: bool = True,
) -> dict[str, list[RenderedFile]]:
    """Every format of ``prepared``, by up to ``processes`` processes.

    ``on_rendered(fmt, files, done, total)`` is called in this thread as each format
    finishes (in completion order); the result maps each format to its files. With
    ``keep=False`` the result maps each format to ``[]``: the files live only as long
    as ``on_rendered`` holds them (the exporter stores each one and lets it go, instead
    of holding every format's bytes until the last one is ready).
    """
    wanted = prepared.formats
    workers = min(processes, len(wanted))
    by_format: dict[str, list[RenderedFile]] = {}
    if workers <= 1 or not can_fork():
        for fmt in wanted:
            files = prepared.prepared_for(fmt).render(fmt)
            by_format[fmt] = files if keep else []
            if on_rendered is not None:
                on_rendered(fmt, files, len(by_format), len(wanted))
            del files
        return by_format
    global _SHARED
    order = cost_order(wanted)
    # Buffered output would otherwise be written once more by every child.
    sys.stdout.flush()
    sys.stderr.flush()
    _SHARED = prepared
    # Everything alive now (the decoded results and corpus above all) moves to the
    # permanent generation before the fork: the renderers' collections then neither
    # walk those objects again nor write to their pages, which would copy every page
    # of the inherited corpus into each renderer (copy-on-write).
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_render_shared, fmt): fmt for fmt in order}
            for future in as_completed(futures):
                fmt = futures.pop(future)
                files = future.result()
                del future  # the future holds the files too
                by_format[fmt] = files if keep else []
                if on_rendered is not None:
                    on_rendered(fmt, files, len(by_format), len(wanted))
                del files
    finally:
        _SHARED = None
        gc.unfreeze()
    return by_format


def _render_shared(fmt: str) -> list[RenderedFile]:
    """Runs in a forked worker: render one format from the inherited inputs."""
    assert _SHARED is not None, "render workers must be forked from render_formats"
    prepared = _SHARED.prepared_for(fmt)
    # What this worker decoded lives as long as it does: its collections need not walk
    # those objects again while the format renders.
    gc.freeze()
    return prepared.render(fmt)


def renderers_peak_rss() -> int:
    """The largest peak resident memory (bytes) of any rendering process this process
    has waited for (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
