"""The spare topic-model process (CONVOSCOPE_TOPIC_PROCESS_SPARE): none unless turned on;
on, one waits with its imports done, a collection job takes it, a dead one is never
handed out, and a stopping replica ends it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from convoscope_analyzer import incremental_job, topic_spare
from convoscope_analyzer.topic_process import TopicProcess
from convoscope_common.config import Settings, load_settings
from tests.unit.analyzer.test_incremental_child import _Run, _Stores


@pytest.fixture(autouse=True)
def _off() -> Iterator[None]:
    yield
    topic_spare.configure(False)


def test_off_by_default() -> None:
    assert Settings().topic_process_spare is False
    assert load_settings({"CONVOSCOPE_TOPIC_PROCESS_SPARE": "1"}).topic_process_spare
    topic_spare.configure(False)
    topic_spare.refill()
    assert topic_spare.take() is None


def test_on_one_waits_and_is_taken_once() -> None:
    topic_spare.configure(True)
    spare = topic_spare.take()
    assert isinstance(spare, TopicProcess) and spare.running
    assert topic_spare.take() is None  # taken: the next starts after the job
    topic_spare.refill()
    again = topic_spare.take()
    assert again is not None and again is not spare
    spare.close()
    again.close()
    assert not spare.running


def test_a_spare_that_died_is_not_handed_out() -> None:
    topic_spare.configure(True)
    spare = topic_spare._spare
    assert spare is not None and spare.pid is not None
    subprocess.run(["kill", "-9", str(spare.pid)], check=True)
    assert spare._child is not None
    spare._child.wait(timeout=10)
    assert topic_spare.take() is None


def test_a_stopping_replica_ends_it() -> None:
    topic_spare.configure(True)
    spare = topic_spare._spare
    assert spare is not None
    topic_spare.close()
    assert not spare.running and topic_spare.take() is None


async def test_a_collection_job_takes_the_spare_and_a_new_one_starts_after_it() -> None:
    topic_spare.configure(True)
    spare = topic_spare._spare
    run = _Run(_Stores())
    loading = incremental_job.start_loading(run)
    assert await loading is None
    assert incremental_job._children.pop(run).models is spare
    assert topic_spare._spare is None
    await incremental_job.keep_pieces(run)  # the job completed (no pieces to keep)
    assert topic_spare._spare is not None and topic_spare._spare is not spare
    assert spare is not None
    spare.close()
