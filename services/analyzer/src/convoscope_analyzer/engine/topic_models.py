"""Where the learned topic models are fitted and read: here, or somewhere the caller says.

Fitting a topic model and reading documents with it need NumPy, SciPy and scikit-learn
(about 80 MB once imported, and never unloaded). Everything else of an analysis needs
none of them: a shard counts each conversation's terms (``learned.term_counts``) and
defers its learned-topic rows (``topics.TopicRows.deferred``). So the two steps that do
need them go through a :class:`TopicModels`: :class:`InProcess` runs them in this
process (the CLI, tests); the analyzer service runs them in a short-lived child process
(``convoscope_analyzer.topic_process``), which keeps those libraries out of the
long-lived service. Either gives the same rows and topics, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from convoscope_analyzer.engine.learned import Document, LearnedModel, LearnedRow, fit_learned
from convoscope_analyzer.engine.topics import LearnedInput, TopicRows, apply_learned


class TopicModels(Protocol):
    """Fits the topic models of an analysis and reads deferred rows with them."""

    def prepare(self) -> None:
        """The models will be fitted soon: get ready (start a process) now."""
        ...

    def fit(
        self, documents: Sequence[tuple[str | None, Document]], pulse: Callable[[], None]
    ) -> LearnedModel:
        """The models fitted on the sample ``documents`` (as :func:`fit_learned`).

        The model returned may be *light* (:func:`light_model`): enough to number and
        name the topics, not to read documents here; rows are read through :meth:`read`.
        ``pulse`` is called now and then (it raises to stop the fit)."""
        ...

    def read(self, rows: TopicRows, model: LearnedModel) -> None:
        """Turn ``rows.deferred`` into ``rows.learned`` under ``model`` (what
        :func:`~.topics.apply_learned` does)."""
        ...


class InProcess:
    """Both steps in this process (imports scikit-learn and SciPy at the first fit)."""

    def prepare(self) -> None:
        """Nothing to prepare."""

    def fit(
        self, documents: Sequence[tuple[str | None, Document]], pulse: Callable[[], None]
    ) -> LearnedModel:
        return fit_learned(documents, pulse)

    def read(self, rows: TopicRows, model: LearnedModel) -> None:
        apply_learned(rows, model)


def light_model(model: LearnedModel) -> LearnedModel:
    """``model`` without its vectorizers and matrices: each language and its topics' top
    terms, all that numbering and naming the topics reads (``learned.learned_topics``).
    Holds no NumPy or scikit-learn object, so it travels between processes as plain
    data."""
    return LearnedModel(
        models=[replace(m, vectorizer=None, factor=None, components=None) for m in model.models]
    )


def read_deferred(model: LearnedModel, deferred: list[LearnedInput]) -> list[LearnedRow]:
    """The learned rows of ``deferred`` inputs under a full ``model``, in position order
    (:func:`~.topics.apply_learned` on rows holding only them)."""
    rows = TopicRows(deferred=deferred)
    apply_learned(rows, model)
    return rows.learned


def add_rows(rows: TopicRows, found: list[LearnedRow]) -> None:
    """Put rows read elsewhere (:func:`read_deferred`) into ``rows``, as
    :func:`~.topics.apply_learned` would have: beside the rows already read, in position
    order, nothing left deferred."""
    if rows.learned:
        found = [*rows.learned, *found]
        found.sort(key=lambda row: row.position)
    rows.learned = found
    rows.deferred = []
