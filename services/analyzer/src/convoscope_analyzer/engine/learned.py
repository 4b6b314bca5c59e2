"""Learned topics: TF-IDF + NMF fitted once on a bounded sample, applied to every document.

The model of each language is fitted on at most ``SAMPLE_DOCUMENTS`` conversations,
spread evenly over the corpus; every conversation is then read with that fixed model,
one document at a time (its non-negative least-squares weights against the topics), so
a document's topics do not depend on which other documents are read with it. That is
what lets a corpus be analysed in shards: each shard transforms its own conversations
into :class:`LearnedRow` rows, and :func:`learned_topics` numbers and names the topics
from the rows of all shards, with the same answer as one process reading them all.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec

from convoscope_analyzer.engine.solving import nnls_solver, one_blas_thread
from convoscope_analyzer.engine.words import CJK, stop_words, words
from convoscope_common.results import Topic, TopicScore

# Fewer non-empty conversations than this (in the sample): no learned topics.
MIN_DOCS_FOR_LEARNED = 5
MAX_LEARNED_TOPICS = 10
MIN_LEARNED_SHARE = 0.3
TOP_TERMS = 8
LABEL_TERMS = 3
NMF_ROUND = 30
NMF_MAX_ROUNDS = 10
# A round that lowers the reconstruction error by less than this share of it ends the fit.
NMF_ROUND_GAIN = 1e-5
# Conversations the topic model is fitted on at most (the fit is the costly part).
SAMPLE_DOCUMENTS = 3000

# Redaction placeholders ("<EMAIL_ADDRESS>", "[PERSON]") are not topic words.
_PLACEHOLDER = re.compile(r"<[A-Z_]+>|\[[A-Z_]+\]")
_CHAT_STOP_WORDS = frozenset(
    "thanks thank please like want need just know help make use does did don ll ve hi "
    "hello can could would should also really sure okay ok yes let actually maybe "
    "something think way thing things going get got good great way using used one "
    # Conversational verbs and adjectives that say nothing about a subject (topic names).
    "tell happened turned come kind important step steps check small reasonable people ask "
    "explain hold recent moving result results trying tried wondering mean means".split()
)


def sample_positions(count: int, limit: int = SAMPLE_DOCUMENTS) -> list[int]:
    """``limit`` positions spread evenly over ``count`` items (all of them when fewer)."""
    if count <= limit:
        return list(range(count))
    return [i * count // limit for i in range(limit)]


class _Analyzer:
    """Words of one language for TF-IDF (a class, so a fitted model can be pickled)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.stop = stop_words(language) | stop_words(None) | _CHAT_STOP_WORDS
        self.min_length = 2 if language in CJK or language == "ko" else 3

    def __call__(self, text: str) -> list[str]:
        found = words(text, self.language)
        return [w for w in found if len(w) >= self.min_length and w not in self.stop]


# The English vectorizer's tokens (scikit-learn's ``token_pattern`` syntax): three or more
# ASCII letters.
ENGLISH_TOKENS = r"(?u)\b[a-zA-Z][a-zA-Z]{2,}\b"
# On ASCII text a match of ENGLISH_TOKENS is a whole run of word characters
# ([A-Za-z0-9_], the ones ``\b`` tells from the rest) made of three or more letters: the
# text's bytes with every other character made a space, split, are those runs, in order
# (in C: a third fewer instructions than the regex, which tries every position).
_WORD_BYTES = bytes(
    code if code >= 128 or chr(code).isalnum() or code == ord("_") else 32 for code in range(256)
)


def _english_stop_words() -> frozenset[str]:
    return stop_words(None) | _CHAT_STOP_WORDS


class _EnglishTerms:
    """What the English vectorizer's ``build_analyzer()`` does to a text, without
    scikit-learn: lower case, :data:`ENGLISH_TOKENS`, stop words dropped (its decoder
    leaves a ``str`` as it is; one-word terms only)."""

    def __init__(self) -> None:
        self.tokens = re.compile(ENGLISH_TOKENS)
        self.stop = _english_stop_words()

    def __call__(self, text: str) -> list[str]:
        stop = self.stop
        lowered = text.lower()
        if not lowered.isascii():
            return [w for w in self.tokens.findall(lowered) if w not in stop]
        found = []
        for run in lowered.encode("ascii").translate(_WORD_BYTES).split():
            if len(run) >= 3 and run.isalpha():
                word = run.decode("ascii")
                if word not in stop:
                    found.append(word)
        return found


def _vectorizer(language: str | None, n_docs: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = {
        "max_df": 0.7,
        "min_df": 2 if n_docs >= 10 else 1,
        "max_features": 5000,
        "sublinear_tf": True,
    }
    if language is None or language == "en":
        return TfidfVectorizer(
            stop_words=sorted(_english_stop_words()), token_pattern=ENGLISH_TOKENS, **common
        )
    # English words in other languages' chats are mostly code and product names; keep
    # them but drop English stop words too.
    return TfidfVectorizer(analyzer=_Analyzer(language), **common)


def _fit_nmf(matrix: Any, k: int, pulse: Callable[[], None]) -> Any:
    """NMF in rounds of ``NMF_ROUND`` iterations (warm-started), so a large fit can
    report progress and be cancelled between rounds. Returns the topics (H).

    A warm-started round measures convergence against its own first iteration, so it
    never stops on its own once the first round did not: the fit stops when a round
    lowered the reconstruction error by less than ``NMF_ROUND_GAIN`` of it (it ran all
    ``NMF_MAX_ROUNDS``, 300 iterations, before; nearly all of them moved the error in
    its seventh digit or later).
    """
    from sklearn.decomposition import NMF

    nmf = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=NMF_ROUND)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: we iterate on purpose
        weights = nmf.fit_transform(matrix)
        components = nmf.components_
        error = float(nmf.reconstruction_err_)
        for _ in range(NMF_MAX_ROUNDS - 1):
            if nmf.n_iter_ < NMF_ROUND:
                break  # converged (sklearn's own test, within the first round)
            pulse()
            nmf = NMF(n_components=k, init="custom", random_state=0, max_iter=NMF_ROUND)
            weights = nmf.fit_transform(matrix, W=weights, H=components)
            components = nmf.components_
            previous, error = error, float(nmf.reconstruction_err_)
            if previous - error <= NMF_ROUND_GAIN * previous:
                break
    return components


def distinctive_terms(components: Any, topic: int, terms: Any, n: int) -> list[str]:
    """The ``n`` terms that best tell ``topic`` apart: weight in the topic times the share of
    the term's weight that this topic holds (frequent-everywhere words rank low)."""
    weights = components[topic]
    exclusivity = weights / (components.sum(axis=0) + 1e-12)
    score = weights * exclusivity
    order = [int(i) for i in score.argsort()[::-1] if weights[i] > 0]
    chosen: list[str] = []
    stems: set[str] = set()
    for i in order:
        term = str(terms[i])
        stem = term[:-1] if term.endswith("s") and len(term) > 3 else term
        if stem in stems:  # "recipe" and "recipes" name one thing
            continue
        chosen.append(term)
        stems.add(stem)
        if len(chosen) == n:
            break
    return chosen


def topic_name(terms: list[str]) -> str:
    """Terms joined as a reader would say them, lower case: "soil, compost and seedlings"."""
    names = [t.lower() for t in terms[:LABEL_TERMS]]
    if len(names) < 3:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass
class LanguageModel:
    """The fitted topics of one language."""

    language: str | None
    vectorizer: Any  # a fitted TfidfVectorizer
    factor: Any  # R, upper triangular, with R^T R = H H^T (k x k)
    components: Any  # H (k x terms)
    top_terms: list[list[str]]  # per topic


@dataclass
class LearnedModel:
    """Topic models per language, in the order their topics are numbered."""

    models: list[LanguageModel]

    def index_of(self, language: str | None) -> int | None:
        """The model for conversations of ``language``, if one was fitted."""
        for i, model in enumerate(self.models):
            if model.language == language:
                return i
        return None


Document = str | dict[str, int]  # a text, or its :func:`term_counts` in the text's language


def fit_learned(
    documents: Sequence[tuple[str | None, Document]], pulse: Callable[[], None] | None = None
) -> LearnedModel:
    """Fit a topic model per language on sample ``documents`` ((language, text) pairs; a
    text may be given as its :func:`term_counts`, which fits the same model).

    Languages are taken largest first (first seen wins a tie); a language with too few
    documents or too small a vocabulary gets none.
    """
    tick = pulse or (lambda: None)
    groups: dict[str | None, list[Document]] = {}
    for language, text in documents:
        groups.setdefault(language, []).append(text)
    models = []
    with one_blas_thread():
        for language, texts in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            model = _fit_language(language, texts, tick)
            if model is not None:
                models.append(model)
    return LearnedModel(models=models)


def _fit_language(
    language: str | None, texts: list[Document], pulse: Callable[[], None]
) -> LanguageModel | None:
    import numpy as np
    from scipy.linalg import cholesky

    if len(texts) < MIN_DOCS_FOR_LEARNED:
        return None
    vectorizer = _vectorizer(language, len(texts))
    try:
        if all(isinstance(t, dict) for t in texts):
            # Counted terms in first-seen order (term_counts): the vectorizer meets the
            # terms in the order the text gives them, so the matrix is the same, bit for
            # bit; then it reads texts again.
            analyzer = vectorizer.analyzer
            vectorizer.analyzer = _expand_counts
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "token_pattern will not be used"
                matrix = vectorizer.fit_transform(texts)
            vectorizer.analyzer = analyzer
        else:
            matrix = vectorizer.fit_transform(_PLACEHOLDER.sub(" ", str(t)) for t in texts)
    except ValueError:  # empty vocabulary
        return None
    n_docs, n_terms = matrix.shape
    k = min(MAX_LEARNED_TOPICS, max(2, round(math.sqrt(n_docs / 2))), n_docs - 1, n_terms)
    if k < 2:
        return None
    pulse()
    components = _fit_nmf(matrix, k, pulse)
    gram = components @ components.T
    # A tiny ridge keeps the factor defined when NMF leaves a topic empty.
    ridge = 1e-10 * max(float(np.trace(gram)) / k, 1e-12)
    # C order always (a plan copied to another process keeps it): LAPACK reads the two
    # layouts by different paths, whose last bits differ.
    factor = np.ascontiguousarray(cholesky(gram + ridge * np.eye(k), lower=False))
    components = np.ascontiguousarray(components)
    terms = vectorizer.get_feature_names_out()
    top = [distinctive_terms(components, t, terms, TOP_TERMS) for t in range(k)]
    return LanguageModel(
        language=language,
        vectorizer=vectorizer,
        factor=factor,
        components=components,
        top_terms=top,
    )


class LearnedRow(msgspec.Struct, array_like=True):
    """One conversation's learned topics: (topic number in its model, share) pairs."""

    position: int  # the conversation's index in the corpus
    conversation_id: str
    month: str | None
    title: str
    model: int
    topics: list[tuple[int, float]]


def transform(
    model: LearnedModel, index: int, documents: Iterable[tuple[int, str, str | None, str, str]]
) -> list[LearnedRow]:
    """Rows of the documents ((position, id, month, title, text)) read with model ``index``.

    Each document's weights solve min ||x - w H|| with w >= 0 on its own (through the
    k x k factor), so they do not depend on the other documents of the batch.
    """
    docs = list(documents)
    if not docs:
        return []
    vectorizer = model.models[index].vectorizer
    matrix = vectorizer.transform(_PLACEHOLDER.sub(" ", d[4]) for d in docs)
    return rows_from_matrix(model, index, [d[:4] for d in docs], matrix)


@lru_cache(maxsize=64)
def _term_analyzer(language: str | None) -> Callable[[str], list[str]]:
    """The terms the vectorizer of ``language`` reads in a text: the same list as its
    ``build_analyzer()`` gives (tests/unit/engine/test_term_analyzer.py), without
    importing scikit-learn, so a shard never loads it."""
    if language is None or language == "en":
        return _EnglishTerms()
    return _Analyzer(language)


def term_counts(language: str | None, text: str) -> dict[str, int]:
    """The terms the topic model of ``language`` reads in ``text``, counted: what the
    model's vectorizer counts before weighting, independent of the fitted vocabulary
    (so cached counts serve every later model of that language)."""
    return dict(Counter(_term_analyzer(language)(_PLACEHOLDER.sub(" ", text))))


def _expand_counts(counts: dict[str, int]) -> list[str]:
    return [term for term, n in counts.items() for _ in range(n)]


def counts_matrix(model: LearnedModel, index: int, counts: list[dict[str, int]]) -> Any:
    """The TF-IDF rows model ``index`` gives the documents whose :func:`term_counts` are
    ``counts``: equal to its vectorizer's rows of their texts, without reading the texts
    again. The count matrix is built as the vectorizer builds it (the integer counts of
    in-vocabulary terms, column indices sorted), then weighted by its own transformer."""
    import numpy as np
    from scipy import sparse

    vectorizer = model.models[index].vectorizer
    vocabulary = vectorizer.vocabulary_
    terms = [term for document in counts for term in document]
    # Column of every counted term (-1: not in the vocabulary), looked up in C.
    columns = np.fromiter(
        map(vocabulary.get, terms, itertools.repeat(-1, len(terms))), np.int64, len(terms)
    )
    values = np.fromiter((n for document in counts for n in document.values()), np.intc, len(terms))
    rows = np.repeat(np.arange(len(counts)), [len(document) for document in counts])
    kept = columns >= 0
    indptr = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows[kept], minlength=len(counts)), out=indptr[1:])
    matrix = sparse.csr_array(
        (values[kept], columns[kept].astype(np.int32), indptr),
        shape=(len(counts), len(vocabulary)),
        dtype=vectorizer.dtype,
    )
    matrix.sort_indices()
    if vectorizer.binary:
        matrix.data.fill(1)
    return vectorizer._tfidf.transform(matrix, copy=False)


def rows_from_matrix(
    model: LearnedModel, index: int, documents: list[tuple[int, str, str | None, str]], matrix: Any
) -> list[LearnedRow]:
    """Rows of documents ((position, id, month, title)) whose TF-IDF rows under model
    ``index`` are ``matrix`` (what :func:`transform` solves; an incremental analysis
    builds the matrix from cached term counts instead of the texts)."""
    import numpy as np

    language_model = model.models[index]
    projected = matrix @ np.ascontiguousarray(language_model.components.T)
    factor = language_model.factor
    solve = nnls_solver(factor, projected)
    rows: list[LearnedRow] = []
    for (position, cid, month, title), b in zip(documents, projected, strict=True):
        if not b.any():
            continue
        weights = solve(b)
        total = float(weights.sum())
        if total <= 0:
            continue
        best = int(weights.argmax())
        topics = []
        for topic in range(len(weights)):
            share = float(weights[topic]) / total
            if topic == best or share >= MIN_LEARNED_SHARE:
                topics.append((topic, share))
        rows.append(LearnedRow(position, cid, month, title, index, topics))
    return rows


def learned_topics(
    model: LearnedModel, rows: list[LearnedRow]
) -> tuple[list[Topic], dict[str, list[TopicScore]]]:
    """The learned topics (numbered across languages, the largest first within each) and
    each conversation's scores, from the rows of every shard in corpus order."""
    topics: list[Topic] = []
    assignments: dict[str, list[TopicScore]] = {}
    for index, language_model in enumerate(model.models):
        k = len(language_model.top_terms)
        members: list[list[tuple[LearnedRow, float]]] = [[] for _ in range(k)]
        for row in rows:
            if row.model == index:
                for topic, share in row.topics:
                    members[topic].append((row, share))
        order = sorted(range(k), key=lambda t: (-len(members[t]), t))
        for topic in order:
            if not members[topic]:
                continue
            topic_id = f"learned-{len(topics) + 1}"
            top = language_model.top_terms[topic]
            # The member that leans most on this topic names it by its (redacted) title.
            example = max(members[topic], key=lambda m: (m[1], -m[0].position))[0]
            monthly: Counter[str] = Counter()
            ids = []
            for row, share in members[topic]:
                ids.append(row.conversation_id)
                if row.month:
                    monthly[row.month] += 1
                assignments.setdefault(row.conversation_id, []).append(
                    TopicScore(topic_id=topic_id, score=round(share, 4))
                )
            topics.append(
                Topic(
                    id=topic_id,
                    label=topic_name(top),
                    kind="learned",
                    language=language_model.language,
                    top_terms=top,
                    example_title=example.title,
                    conversations=len(ids),
                    monthly=dict(sorted(monthly.items())),
                    conversation_ids=ids,
                )
            )
    return topics, assignments
