"""The topic models fitted and read in a child process give the in-process results, bit
for bit, and the analysis that uses them imports neither scikit-learn nor SciPy.

The analyzer service fits the learned topics in ``python -m
convoscope_analyzer.topic_process`` (one per job): the one-process analysis
(``run_pipeline(models=...)``), the sharded driver and a partial held encoded until the
merge must give exactly what the in-process code gives; a child that fails or is
stopped must surface as an error, not a hang.
"""

from __future__ import annotations

import subprocess

import msgspec
import pytest

from convoscope_analyzer.engine.learned import LearnedModel, fit_learned
from convoscope_analyzer.engine.plan import SampleReader, plan_sample
from convoscope_analyzer.engine.topic_models import InProcess, light_model
from convoscope_analyzer.engine.topics import LearnedInput, TopicRows, apply_learned
from convoscope_analyzer.held_partial import HeldPartial, release
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.shard_corpus import DecodedShards
from convoscope_analyzer.sharded import HereRunner, run_sharded
from convoscope_analyzer.topic_process import TopicProcess, TopicProcessError
from convoscope_common.corpus import Corpus, decode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator
from tests.fresh_imports import loaded_after
from tests.unit.analyzer.test_sharded_equality import _sections


@pytest.fixture(scope="module")
def corpus_bytes() -> bytes:
    from convoscope_common.corpus import encode_corpus

    corpus = parse_export(load_generator().generate_claude_export(120, seed=7)).corpus
    return encode_corpus(corpus)


def _documents(corpus: Corpus) -> list[tuple[str | None, str]]:
    reader = SampleReader()
    sample = plan_sample([len(c.messages) for c in corpus.conversations])
    reader.add([corpus.conversations[i] for i in sample])
    return reader.documents()


def _deferred(corpus: Corpus) -> TopicRows:
    """The deferred learned-topic input of the whole corpus (as a shard leaves it)."""
    from convoscope_analyzer.engine.options import engine_options
    from convoscope_analyzer.engine.plan import ShardPlan
    from convoscope_analyzer.sharded import shard_partial

    options = engine_options(AnalysisOptions(), None, None)
    return shard_partial(corpus, 0, ShardPlan(fallback_language="en"), options).topics


def test_child_fits_and_reads_what_this_process_does(corpus_bytes: bytes) -> None:
    corpus = decode_corpus(corpus_bytes)
    documents = _documents(corpus)
    here = fit_learned(documents)
    assert here.models, "the sample is large enough for a model"
    expected = _deferred(corpus)
    apply_learned(expected, here)
    got = _deferred(corpus)
    with TopicProcess() as child:
        model = child.fit(documents, lambda: None)
        child.read(got, model)
        child.read(TopicRows(), model)  # nothing deferred: nothing asked
    assert isinstance(model, LearnedModel)
    assert model == light_model(here)
    assert got.deferred == []
    assert msgspec.msgpack.encode(got.learned) == msgspec.msgpack.encode(expected.learned)
    assert child.peak_rss is not None and child.peak_rss > 0


@pytest.mark.parametrize("shards", [1, 3])
def test_pipeline_and_sharded_results_equal_with_the_child(
    corpus_bytes: bytes, shards: int
) -> None:
    options = AnalysisOptions()
    expected = _sections(
        run_pipeline(decode_corpus(corpus_bytes), options, PrivacyConfig()).results
    )
    with TopicProcess() as child:
        if shards == 1:
            output = run_pipeline(
                decode_corpus(corpus_bytes), options, PrivacyConfig(), models=child
            ).results
        else:
            access = DecodedShards(decode_corpus(corpus_bytes))
            output = run_sharded(
                access, options, PrivacyConfig(), shards=shards, runner=_Held(access), models=child
            ).results
    got = _sections(output)
    assert got.keys() == expected.keys()
    for section in expected:
        assert got[section] == expected[section], section


class _Held(HereRunner[Corpus]):
    """Partials held encoded until the merge, as the bus runner yields them."""

    def analyze(self, corpus, ranges, plan, options):  # type: ignore[no-untyped-def]
        for index, partial in super().analyze(corpus, ranges, plan, options):
            yield index, HeldPartial(msgspec.msgpack.encode(partial))


def test_held_partial_releases_the_decoded_partial(corpus_bytes: bytes) -> None:
    corpus = decode_corpus(corpus_bytes)
    from convoscope_analyzer.engine.options import engine_options
    from convoscope_analyzer.engine.plan import ShardPlan
    from convoscope_analyzer.sharded import shard_partial

    options = engine_options(AnalysisOptions(), None, None)
    partial = shard_partial(corpus, 0, ShardPlan(fallback_language="en"), options)
    held = HeldPartial(msgspec.msgpack.encode(partial))
    assert (held.start, held.end) == (partial.start, partial.end)
    assert held.topics == partial.topics
    model = fit_learned(_documents(corpus))
    InProcess().read(held.topics, model)  # read while held, as the driver does
    apply_learned(partial.topics, model)
    assert release(held) == partial
    assert held.data == b""  # the bytes are let go
    assert release(partial) is partial


def test_a_failing_request_raises() -> None:
    with TopicProcess() as child:
        with pytest.raises(TopicProcessError, match="read before fit"):
            child.read(
                TopicRows(deferred=[LearnedInput(0, "c", None, "t", "en", {"soil": 2})]),
                LearnedModel(models=[]),
            )
        # A bad document fails in the child and comes back as an error.
        with pytest.raises(TopicProcessError):
            child.fit([("en", 5)] * 10, lambda: None)  # type: ignore[list-item]


def test_a_stopping_pulse_ends_the_child() -> None:
    class Stop(Exception):
        pass

    def pulse() -> None:
        raise Stop

    child = TopicProcess()
    with pytest.raises(Stop):
        child.fit([("en", f"compost soil seedlings garden {i}") for i in range(50)], pulse)
    assert child._child is not None and child._child.poll() is not None  # ended
    with pytest.raises(TopicProcessError):
        child.fit([("en", "soil")], lambda: None)  # closed


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    child = TopicProcess()
    child.prepare()
    assert child.pid is not None
    subprocess.run(["kill", "-9", str(child.pid)], check=True)
    with pytest.raises(TopicProcessError, match="ended"):
        child.fit([("en", "compost soil")] * 10, lambda: None)
    child.close()


def test_the_analysis_with_a_child_imports_no_scikit_learn(corpus_bytes: bytes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A fresh process that analyses a corpus with the child (as the service does)
    never loads scikit-learn or SciPy itself."""
    path = tmp_path / "corpus.msgpack"
    path.write_bytes(corpus_bytes)
    code = (
        "from pathlib import Path\n"
        "from convoscope_analyzer.engine import warm_up\n"
        "from convoscope_analyzer.pipeline import run_pipeline\n"
        "from convoscope_analyzer.privacy import PrivacyConfig\n"
        "from convoscope_analyzer.topic_process import TopicProcess\n"
        "from convoscope_common.corpus import decode_corpus\n"
        "from convoscope_common.options import AnalysisOptions\n"
        "warm_up()\n"
        f"corpus = decode_corpus(Path({str(path)!r}).read_bytes())\n"
        "with TopicProcess() as child:\n"
        "    out = run_pipeline(corpus, AnalysisOptions(), PrivacyConfig(), models=child)\n"
        "assert out.results.topics.learned\n"
    )
    assert loaded_after(code, ("sklearn", "scipy", "numpy"), timeout=300) == []


def test_the_child_reports_its_imports_fit_and_cpu(corpus_bytes: bytes) -> None:
    """The child imports at low priority before the first request and says what its
    imports and its fit cost; its CPU seconds are kept when it is ended."""
    documents = _documents(decode_corpus(corpus_bytes))
    child = TopicProcess()
    child.prepare()
    model = child.fit(documents, lambda: None)
    assert model == light_model(fit_learned(documents))  # the same models
    figures = dict(child.figures)
    assert figures["import_cpu_seconds"] > 0.2  # NumPy, SciPy, scikit-learn at least
    assert 0 <= figures["import_waited"] <= figures["import_seconds"] + 0.1
    assert figures["fit_seconds"] > 0 and figures["fit_cpu_seconds"] > 0
    child.close()
    assert child.figures["cpu_seconds"] >= figures["import_cpu_seconds"]


def test_the_imports_run_in_a_low_priority_thread() -> None:
    """While it imports, a fresh child has a thread of nice 19 (Linux: per thread); its
    main thread, which serves the requests, keeps the process's priority."""
    import os
    import time
    from pathlib import Path

    child = TopicProcess()
    child.prepare()
    try:
        assert child.pid is not None
        nice: dict[int, int] = {}
        deadline = time.monotonic() + 20
        while 19 not in nice.values() and time.monotonic() < deadline:
            for task in Path(f"/proc/{child.pid}/task").iterdir():
                try:
                    stat = (task / "stat").read_text()
                    nice[int(task.name)] = int(stat.rsplit(")", 1)[1].split()[16])
                except (OSError, ValueError):
                    continue
            time.sleep(0.002)
        assert 19 in nice.values(), nice
        assert nice[child.pid] == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        child.close()


def test_a_job_takes_the_spare_child_and_leaves_a_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """With spares on, a job's child is the one started ahead (its imports done while the
    replica waited) and a fresh spare waits for the next job; with them off, none."""
    from convoscope_analyzer import topic_process as tp

    monkeypatch.setenv(tp.SPARE_ENV, "1")
    tp.stop_spare()
    tp.start_spare()
    spare = tp._spare
    assert spare is not None and spare.alive()
    try:
        with tp.job_topic_process() as process:
            assert process is spare
            model = process.fit([("en", f"compost soil seedlings {i}") for i in range(20)], _noop)
            assert isinstance(model, LearnedModel)
        assert not spare.alive()  # closed with the job
        assert tp._spare is not None and tp._spare is not spare and tp._spare.alive()
    finally:
        tp.stop_spare()
    assert tp._spare is None
    monkeypatch.setenv(tp.SPARE_ENV, "0")
    tp.start_spare()
    assert tp._spare is None
    with tp.job_topic_process() as process:
        assert not process.alive()  # started by the job when it needs it
    assert tp._spare is None


def _noop() -> None:
    pass
