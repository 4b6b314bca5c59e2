"""Pause Python's cyclic garbage collector during bulk phases.

Decoding a corpus or an export allocates millions of container objects and no
reference cycles; each allocation burst triggers collections that walk every live
object again (decoding 130 MB took 2.2 s with the collector on, 0.49 s with it off).
:func:`paused` turns the collector off for such a phase. It counts nested and
concurrent users (jobs run in threads), so the collector comes back on only when the
last phase ends; reference counting frees memory as usual meanwhile.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (process-wide, reentrant)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Run the block with every object alive now hidden from the collector.

    Used around the engine once the corpus is loaded: the messages live for the whole
    job, so the engine's collections need not walk them again and again (measured on
    a 17k-message job: time in the collector 0.40 s -> 0.24 s). Frozen objects are
    still freed by reference counting; afterwards they are handed back (``unfreeze``)
    so any cycles among them are collected as usual.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
