"""The learned topic models of one job, fitted and read in a short-lived child process.

NumPy, SciPy and scikit-learn take about 80 MB once imported and are never unloaded;
only the topic models need them (``engine/topic_models.py``). The analyzer service
therefore never imports them: each job that has topic models to fit starts
``python -m convoscope_analyzer.topic_child`` (:class:`TopicProcess`), hands it the
plan's bounded sample, then the deferred rows of its shards, and ends it. The child
holds only the sample, the models and one batch of rows at a time; its peak resident
memory is recorded (``convoscope_analyzer_topic_process_peak_rss_bytes``), its CPU
seconds, import and fit times logged (stage ``topic_process``).

The child is started when the job is claimed and imports its libraries in a thread of
low priority (``topic_child.py``): about 2.5 CPU seconds that would otherwise be taken
from the job's shards are taken from idle time. It imports every library that loads a
BLAS before it fits, as the service did before the first job, so BLAS is limited to
one thread in all of them during the fit and the models are the same, bit for bit
(tests/unit/analyzer/test_topic_process.py).

Protocol: length-prefixed msgpack frames over the child's stdin and stdout (its own
stdout is moved to stderr, so a library's print cannot corrupt them). The child answers
each request in order; an error becomes a :class:`Failed` answer.
"""

from __future__ import annotations

import contextlib
import os
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING

import msgspec

from convoscope_analyzer.engine.learned import Document, LanguageModel, LearnedModel, LearnedRow
from convoscope_analyzer.engine.topic_models import add_rows, light_model, read_deferred
from convoscope_analyzer.engine.topics import LearnedInput, TopicRows
from convoscope_analyzer.stages import stage
from convoscope_analyzer.topic_child import read_frame as _read_frame
from convoscope_common.metrics import Gauge

if TYPE_CHECKING:
    from convoscope_analyzer.topic_child import Loading

_HEADER = struct.Struct(">I")
PEAK_RSS = Gauge(
    "convoscope_analyzer_topic_process_peak_rss_bytes",
    "Largest peak resident memory of a topic-model process so far",
)
POLL_SECONDS = 0.25  # how often a waiting parent calls its pulse


class Fit(msgspec.Struct, tag=True, array_like=True):
    """Fit the models on these (language, text or term counts) documents."""

    documents: list[tuple[str | None, str | dict[str, int]]]


class Read(msgspec.Struct, tag=True, array_like=True):
    """Read these deferred inputs with the fitted models."""

    deferred: list[LearnedInput]


class Fitted(msgspec.Struct, tag=True, array_like=True):
    """The fitted models, light: (language, top terms of each topic) per model; and the
    child's figures: its imports' wall and CPU seconds, how long the fit waited for
    them, the fit's wall and CPU seconds."""

    models: list[tuple[str | None, list[list[str]]]]
    import_seconds: float = 0.0
    import_cpu_seconds: float = 0.0
    import_waited: float = 0.0
    fit_seconds: float = 0.0
    fit_cpu_seconds: float = 0.0


class Rows(msgspec.Struct, tag=True, array_like=True):
    """The learned rows of a :class:`Read`, in position order."""

    rows: list[LearnedRow]


class Failed(msgspec.Struct, tag=True, array_like=True):
    """The request raised: the exception's type name and message."""

    error: str
    message: str


Request = Fit | Read
Answer = Fitted | Rows | Failed
_request_decoder = msgspec.msgpack.Decoder(Request)
_answer_decoder = msgspec.msgpack.Decoder(Answer)
_encoder = msgspec.msgpack.Encoder()


class TopicProcessError(Exception):
    """The child failed a request, or ended without answering."""


# --- the parent's side -----------------------------------------------------------------


def _peak_rss(pid: int) -> int | None:
    """VmHWM of process ``pid`` in bytes (None where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class TopicProcess:
    """A :class:`~.engine.topic_models.TopicModels` in a child process (one per job).

    The child is started by :meth:`prepare` (or the first request) and imports its
    libraries at once: prepared early, at a stage that leaves a core idle, its imports
    cost the job no time. Calls from several threads are served one at a time.
    :meth:`close` ends the child and returns its peak resident memory.
    """

    def __init__(self, python: str = sys.executable) -> None:
        self._python = python
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._fitted = False
        self.peak_rss: int | None = None
        # What the child reported and used (for the stage log).
        self.figures: dict[str, float] = {}

    def prepare(self) -> None:
        """Start the child now (its imports run while the caller goes on)."""
        with self._lock:
            self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._closed:
            raise TopicProcessError("the topic process is closed")
        if self._child is None:
            env = dict(os.environ)
            env["PYTHONUNBUFFERED"] = "1"  # a child's traceback reaches the log whole
            self._child = subprocess.Popen(
                [self._python, "-m", "convoscope_analyzer.topic_child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                bufsize=0,  # unbuffered: select() then tells whether an answer waits
            )
        return self._child

    def alive(self) -> bool:
        """Whether the child is started, running and not closed."""
        return not self._closed and self._child is not None and self._child.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it starts)."""
        return self._child.pid if self._child is not None else None

    def fit(
        self, documents: Sequence[tuple[str | None, Document]], pulse: Callable[[], None]
    ) -> LearnedModel:
        """The models fitted in the child, light (see :func:`light_model`)."""
        answer = self._ask(Fit(documents=list(documents)), pulse)
        if not isinstance(answer, Fitted):
            raise TopicProcessError(f"unexpected answer {type(answer).__name__}")
        self._fitted = True
        self.figures.update(
            import_seconds=answer.import_seconds,
            import_cpu_seconds=answer.import_cpu_seconds,
            import_waited=answer.import_waited,
            fit_seconds=answer.fit_seconds,
            fit_cpu_seconds=answer.fit_cpu_seconds,
        )
        return LearnedModel(
            models=[
                LanguageModel(
                    language=language,
                    vectorizer=None,
                    factor=None,
                    components=None,
                    top_terms=top_terms,
                )
                for language, top_terms in answer.models
            ]
        )

    def read(self, rows: TopicRows, model: LearnedModel) -> None:
        """``rows.deferred`` read by the child's models (``model`` must be what
        :meth:`fit` returned)."""
        if not rows.deferred:
            return
        if not self._fitted:
            raise TopicProcessError("read before fit")
        answer = self._ask(Read(deferred=rows.deferred), lambda: None)
        if not isinstance(answer, Rows):
            raise TopicProcessError(f"unexpected answer {type(answer).__name__}")
        add_rows(rows, answer.rows)

    def _ask(self, request: Fit | Read, pulse: Callable[[], None]) -> Answer:
        with self._lock:
            child = self._start()
            stdin, stdout = child.stdin, child.stdout
            assert stdin is not None and stdout is not None
            payload = _encoder.encode(request)
            try:
                _write_frame(stdin, payload)
            except (BrokenPipeError, OSError) as exc:
                raise TopicProcessError(f"the topic process ended ({self._exit()})") from exc
            del payload
            # Wait for the answer, calling pulse between looks (it may raise: stop).
            while not select.select([stdout], [], [], POLL_SECONDS)[0]:
                try:
                    pulse()
                except BaseException:
                    self.close()
                    raise
            data = _read_frame(stdout)
            if data is None:
                raise TopicProcessError(f"the topic process ended ({self._exit()})")
            answer = _answer_decoder.decode(data)
            if isinstance(answer, Failed):
                raise TopicProcessError(f"{answer.error}: {answer.message}")
            return answer

    def _exit(self) -> str:
        assert self._child is not None
        try:
            code = self._child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "no exit status"
        return f"exit status {code}"

    def close(self) -> int | None:
        """End the child (now, whatever it is doing); its peak resident memory in bytes
        (None if it never started, or where /proc cannot tell). Safe to call twice."""
        self._closed = True
        child = self._child
        if child is None:
            return self.peak_rss
        if child.poll() is None:
            peak = _peak_rss(child.pid)
            if peak is not None:
                self.peak_rss = peak
            child.kill()
            self._reap(child)
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        child.wait()
        return self.peak_rss

    def _reap(self, child: subprocess.Popen[bytes]) -> None:
        """Wait for the killed child, keeping the CPU seconds it used."""
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except ChildProcessError:  # reaped elsewhere: no figure
            return
        child.returncode = os.waitstatus_to_exitcode(status)
        self.figures["cpu_seconds"] = usage.ru_utime + usage.ru_stime

    def __enter__(self) -> TopicProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_largest_peak = 0

# A child started ahead of the next job (its imports done, at low priority, while the
# replica waits for work), which that job takes instead of starting its own: the ~2 CPU
# seconds of imports then never compete with a job's shards. It holds about 140 MB
# while it waits (138 MB measured); ``CONVOSCOPE_TOPIC_SPARE=0`` keeps none (each job
# starts its child).
SPARE_ENV = "CONVOSCOPE_TOPIC_SPARE"
_spare: TopicProcess | None = None
_spare_lock = threading.Lock()


def spare_wanted() -> bool:
    """Whether this process keeps a spare child (``CONVOSCOPE_TOPIC_SPARE``, default on)."""
    return os.environ.get(SPARE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def start_spare() -> None:
    """Start a spare child unless one is waiting (or spares are off)."""
    global _spare
    if not spare_wanted():
        return
    with _spare_lock:
        if _spare is not None and _spare.alive():
            return
        dead, _spare = _spare, TopicProcess()
        _spare.prepare()
    if dead is not None:
        dead.close()


def stop_spare() -> None:
    """End the spare child, if any (the service stops)."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None:
        spare.close()


def _take() -> TopicProcess:
    """The spare child if one is alive, else a new (not started) one."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None and spare.alive():
        return spare
    if spare is not None:
        spare.close()
    return TopicProcess()


@contextlib.contextmanager
def job_topic_process() -> Iterator[TopicProcess]:
    """A :class:`TopicProcess` for one job (the spare, or one not started yet), closed
    when the block ends, and a new spare started (for the next job); its peak resident
    memory goes to the log (stage ``topic_process``) and the largest so far to
    ``convoscope_analyzer_topic_process_peak_rss_bytes``."""
    global _largest_peak
    process = _take()
    with stage("topic_process", spare=process.alive()) as extra:
        try:
            yield process
        finally:
            peak = process.close()
            start_spare()
            extra.update({f"child_{k}": round(v, 3) for k, v in process.figures.items()})
            if peak is not None:
                extra["peak_rss_mb"] = round(peak / 1e6, 1)
                _largest_peak = max(_largest_peak, peak)
                PEAK_RSS.set(_largest_peak)


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    """One frame, whole (an unbuffered pipe may take part of a write)."""
    for data in (_HEADER.pack(len(payload)), payload):
        view = memoryview(data)
        while view:
            written = stream.write(view)
            view = view[written or 0 :]
    stream.flush()


# --- the child's side (``topic_child.py`` runs it once the imports are done) -------


def load_libraries() -> None:
    """Import everything the models use before the first fit: the BLAS of NumPy and of
    SciPy are then both loaded when the fit limits BLAS to one thread (the numbers of
    the fit depend on it)."""
    import numpy  # noqa: F401
    import scipy.linalg
    import scipy.optimize
    import scipy.sparse  # noqa: F401
    import sklearn.decomposition
    import sklearn.feature_extraction.text  # noqa: F401

    import convoscope_analyzer.engine.learned  # noqa: F401


def serve(
    requests: IO[bytes],
    answers: IO[bytes],
    *,
    first: bytes | None = None,
    loading: Loading | None = None,
) -> None:
    """Answer ``first`` (a request already read), then requests until the input ends
    (the child's main loop). ``loading``: the imports' figures, sent with the fit."""
    from convoscope_analyzer.engine.learned import fit_learned

    if loading is None:
        load_libraries()
    model: LearnedModel | None = None
    while True:
        data: bytes | None = first
        first = None
        if data is None:
            data = _read_frame(requests)
        if data is None:
            return
        answer: Answer
        try:
            request = _request_decoder.decode(data)
            del data
            if isinstance(request, Fit):
                wall, cpu = time.perf_counter(), time.thread_time()
                model = fit_learned(request.documents)
                light = light_model(model)
                answer = Fitted(
                    models=[(m.language, m.top_terms) for m in light.models],
                    fit_seconds=time.perf_counter() - wall,
                    fit_cpu_seconds=time.thread_time() - cpu,
                )
                if loading is not None:
                    answer.import_seconds = loading.seconds
                    answer.import_cpu_seconds = loading.cpu_seconds
                    answer.import_waited = loading.waited
            else:
                if model is None:
                    raise TopicProcessError("read before fit")
                answer = Rows(rows=read_deferred(model, request.deferred))
            del request
        except Exception as exc:  # the parent raises it as TopicProcessError
            answer = Failed(error=type(exc).__name__, message=str(exc)[:500])
        payload = _encoder.encode(answer)
        del answer
        _write_frame(answers, payload)


def fail_all(requests: IO[bytes], answers: IO[bytes], error: Exception) -> None:
    """Answer the request read and every later one with ``error`` (the imports failed)."""
    failed = _encoder.encode(Failed(error=type(error).__name__, message=str(error)[:500]))
    _write_frame(answers, failed)
    while _read_frame(requests) is not None:
        _write_frame(answers, failed)
