"""The collector pause is reentrant and safe across threads; freezing is undone."""

from __future__ import annotations

import gc
import threading

from convoscope_common import collector


def test_paused_restores_the_collector_after_the_last_user() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer phase is still running
    assert gc.isenabled()


def test_paused_from_concurrent_threads() -> None:
    inside = threading.Barrier(4)
    leave = threading.Event()

    def phase() -> None:
        with collector.paused():
            inside.wait()
            leave.wait(5)

    threads = [threading.Thread(target=phase) for _ in range(3)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert not gc.isenabled()
    leave.set()
    for thread in threads:
        thread.join()
    assert gc.isenabled()


def test_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_paused_restores_after_an_exception() -> None:
    try:
        with collector.paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_long_lived_frozen_unfreezes() -> None:
    before = gc.get_freeze_count()
    with collector.long_lived_frozen():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0


def test_long_lived_frozen_from_concurrent_threads_unfreezes_after_the_last() -> None:
    inside = threading.Barrier(3)
    first_out = threading.Event()
    leave = threading.Event()

    def first() -> None:
        with collector.long_lived_frozen():
            inside.wait()
        first_out.set()

    def second() -> None:
        with collector.long_lived_frozen():
            inside.wait()
            leave.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert first_out.wait(5)
    assert gc.get_freeze_count() > 0  # the second block still runs
    leave.set()
    for thread in threads:
        thread.join()
    assert gc.get_freeze_count() == 0


def test_freeze_more_only_inside_a_frozen_block() -> None:
    kept = [[i] for i in range(100)]
    collector.freeze_more()
    assert gc.get_freeze_count() == 0
    with collector.long_lived_frozen():
        frozen = gc.get_freeze_count()
        kept += [[i] for i in range(100)]
        collector.freeze_more()
        assert gc.get_freeze_count() >= frozen + 100
    assert gc.get_freeze_count() == 0
