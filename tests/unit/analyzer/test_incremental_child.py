"""A collection's incremental analysis with the topic models in the job's child process
(as the service runs it: the fit beside the new chunks, the rows read by the child)
equals a from-scratch analysis, section by section, and the analyzing process never
imports scikit-learn, SciPy or NumPy."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from convoscope_analyzer import incremental_job
from convoscope_analyzer.engine import incremental as engine_incremental
from convoscope_analyzer.incremental_pipeline import (
    StoredPieces,
    run_incremental,
)
from convoscope_analyzer.pieces_codec import decode_pieces, encode_pieces
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.topic_process import TopicProcess, TopicProcessError
from convoscope_common.config import Settings
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.storage import ObjectMissingError
from convoscope_ingest.merge import merge_corpora
from tests.fresh_imports import loaded_after
from tests.unit.analyzer.test_incremental_equality import (
    _assert_equal_to_scratch,
    _claude,
    _french,
    _silent,
)


def _copy(corpus: Corpus) -> Corpus:
    return decode_corpus(encode_corpus(corpus))


def test_with_the_child_a_first_and_a_newer_run_equal_scratch() -> None:
    older = merge_corpora([_claude(150)])
    with TopicProcess() as child:
        first = run_incremental(
            _copy(older), AnalysisOptions(), PrivacyConfig(), None, in_place=True, models=child
        )
    assert first.stats.timings["topic fit and known rows (waited for)"] >= 0
    _assert_equal_to_scratch(older, first)
    pieces = decode_pieces(encode_pieces(first.pieces))
    collection = merge_corpora([_claude(150), _claude(160)])
    with TopicProcess() as child:
        run = run_incremental(
            _copy(collection), AnalysisOptions(), PrivacyConfig(), pieces, in_place=True,
            models=child,
        )  # fmt: skip
    assert run.stats.conversations_analysed == 10
    _assert_equal_to_scratch(collection, run)


def test_a_child_that_fails_fails_the_run() -> None:
    corpus = merge_corpora([_claude(40)])
    child = TopicProcess(python="/nonexistent/python")
    with pytest.raises((TopicProcessError, OSError)):
        run_incremental(
            _copy(corpus), AnalysisOptions(), PrivacyConfig(), None, in_place=True, models=child
        )
    child.close()


def test_a_stop_during_the_fit_stops_the_run() -> None:
    class Stop(Exception):
        pass

    corpus = merge_corpora([_claude(60)])

    def checkpoint() -> None:
        # Only the fit's pulse (the thread that waits on the child) stops the run.
        if threading.current_thread().name == "topic-fit":
            raise Stop

    with TopicProcess() as child, pytest.raises(Stop):
        run_incremental(
            _copy(corpus), AnalysisOptions(), PrivacyConfig(), None, in_place=True,
            models=child, checkpoint=checkpoint,
        )  # fmt: skip


def test_a_collection_analysis_with_the_child_imports_no_scikit_learn(tmp_path: Path) -> None:
    """A fresh process that analyses a collection as the service does (with the child)
    never loads scikit-learn, SciPy or NumPy itself."""
    path = tmp_path / "corpus.msgpack"
    path.write_bytes(encode_corpus(merge_corpora([_claude(120)])))
    code = (
        "from pathlib import Path\n"
        "from convoscope_analyzer.engine import warm_up\n"
        "from convoscope_analyzer.incremental_pipeline import run_incremental\n"
        "from convoscope_analyzer.privacy import PrivacyConfig\n"
        "from convoscope_analyzer.topic_process import TopicProcess\n"
        "from convoscope_common.corpus import decode_corpus\n"
        "from convoscope_common.options import AnalysisOptions\n"
        "warm_up()\n"
        f"data = Path({str(path)!r}).read_bytes()\n"
        "options, privacy = AnalysisOptions(), PrivacyConfig()\n"
        "with TopicProcess() as child:\n"
        "    first = run_incremental(decode_corpus(data), options, privacy, None, models=child)\n"
        "with TopicProcess() as child:\n"
        "    again = run_incremental(\n"
        "        decode_corpus(data), options, privacy, first.pieces, models=child\n"
        "    )\n"
        "assert again.output.results.topics.learned\n"
        "assert again.stats.chunks_reused == again.stats.chunks\n"
    )
    assert loaded_after(code, ("sklearn", "scipy", "numpy"), timeout=300) == []


# --- the job's side: the child from the job's start, the pieces after its end ----------


class _Stores:
    """No pieces kept; writes recorded (or refused)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.results_data = object()
        self.written: dict[str, bytes] = {}
        self.fail = fail

    async def read_object(self, store: object, name: str) -> bytes:
        raise ObjectMissingError(name)

    async def write_object(self, store: object, name: str, data: bytes) -> None:
        if self.fail:
            raise ConnectionError("store down")
        await asyncio.sleep(0.05)  # a write that takes a while
        self.written[name] = data

    async def delete_object(self, store: object, name: str) -> None:
        self.written.pop(name, None)

    async def is_cancelled(self, job_id: str) -> bool:
        return False


class _Run:
    """The parts of a JobRun the collection job uses (weakly referenced, as a JobRun)."""

    def __init__(self, stores: _Stores) -> None:
        self.job = SimpleNamespace(job_id="job_1", collection_id="col_1")
        self.stores = stores
        self.settings = Settings()
        self.lease = SimpleNamespace(lost=None)
        self.pieces: StoredPieces | None = None


def _run(stores: _Stores) -> Any:
    return _Run(stores)


async def test_a_job_that_fails_before_its_analysis_ends_its_child() -> None:
    run = _run(_Stores())
    loading = incremental_job.start_loading(run)
    assert await loading is None  # no pieces kept yet
    child = incremental_job._children[run].models
    assert child.pid is not None
    process = child._child
    assert process is not None and process.poll() is None
    del run, loading  # the job ended (failed) without run_collection
    gc.collect()
    assert process.wait(timeout=10) is not None  # the child was ended with it


async def test_pieces_are_written_after_the_job_and_waited_for() -> None:
    stores = _Stores()
    run = _run(stores)
    run.pieces = StoredPieces(fingerprint="f")
    await incremental_job.keep_pieces(run)
    assert run.pieces is None and not stores.written  # still being written
    await incremental_job.pieces_saved()
    (data,) = stores.written.values()
    saved = decode_pieces(data)
    assert saved is not None and saved.fingerprint == "f"


async def test_pieces_that_cannot_be_written_fail_nothing() -> None:
    run = _run(_Stores(fail=True))
    run.pieces = StoredPieces(fingerprint="f")
    await incremental_job.keep_pieces(run)
    await incremental_job.pieces_saved()
    assert not run.stores.written


def test_with_the_child_a_new_fallback_language_reads_again() -> None:
    english = _claude(130, seed=4)
    conversations = [*english.conversations[:100], _silent(0), *english.conversations[100:]]
    base = msgspec.structs.replace(english, conversations=conversations)
    with TopicProcess() as child:
        first = run_incremental(
            _copy(base), AnalysisOptions(), PrivacyConfig(), None, in_place=True, models=child
        )
    grown = msgspec.structs.replace(
        base, conversations=[*conversations, *(_french(i) for i in range(300))]
    )
    with TopicProcess() as child:
        run = run_incremental(
            _copy(grown), AnalysisOptions(), PrivacyConfig(), first.pieces, in_place=True,
            models=child,
        )  # fmt: skip
    _assert_equal_to_scratch(grown, run)


def test_rows_read_early_from_an_input_that_changed_are_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    older = merge_corpora([_claude(120)])
    first = run_incremental(_copy(older), AnalysisOptions(), PrivacyConfig(), None, in_place=True)
    known_inputs = engine_incremental._known_inputs
    changed: list[int] = []

    def wrong(*args: Any) -> dict[int, Any]:
        # Every other known input with another title and month: its early row must go.
        known = known_inputs(*args)
        for n, (i, item) in enumerate(sorted(known.items())):
            if n % 2 == 0:
                known[i] = msgspec.structs.replace(item, title="never its title", month="1999-01")
                changed.append(i)
        return known

    monkeypatch.setattr(engine_incremental, "_known_inputs", wrong)
    collection = merge_corpora([_claude(120), _claude(125)])
    with TopicProcess() as child:
        run = run_incremental(
            _copy(collection), AnalysisOptions(), PrivacyConfig(), first.pieces, in_place=True,
            models=child,
        )  # fmt: skip
    assert len(changed) > 20
    _assert_equal_to_scratch(collection, run)
