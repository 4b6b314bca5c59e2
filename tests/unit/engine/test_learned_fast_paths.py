"""The learned-topic shortcuts an incremental analysis takes give the model's own numbers,
bit for bit: the TF-IDF rows built from cached term counts equal the vectorizer's rows of
the texts, and each document's weights equal scipy's public solve + NNLS."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import solve_triangular
from scipy.optimize import nnls

from convoscope_analyzer.engine.learned import (
    _PLACEHOLDER,
    LearnedModel,
    counts_matrix,
    fit_learned,
    rows_from_matrix,
    term_counts,
)
from convoscope_analyzer.engine.topics import user_text
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = parse_export(load_generator().generate_claude_export(160, seed=5)).corpus
    found = [user_text(c) for c in corpus.conversations if c.messages]
    # Documents with no term of the vocabulary, and one with nothing at all.
    return [*found, "zzzqx wwwvq", ""]


@pytest.fixture(scope="module")
def model(texts: list[str]) -> LearnedModel:
    fitted = fit_learned([("en", t) for t in texts[:120]])
    assert fitted.models, "the sample is large enough for a model"
    return fitted


def test_counts_matrix_equals_the_vectorizer_on_the_texts(
    model: LearnedModel, texts: list[str]
) -> None:
    vectorizer = model.models[0].vectorizer
    expected = vectorizer.transform(_PLACEHOLDER.sub(" ", t) for t in texts)
    got = counts_matrix(model, 0, [term_counts("en", t) for t in texts])
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert got.data.tobytes() == expected.data.tobytes()  # bit for bit, not approximately


def test_rows_equal_the_public_scipy_solve(model: LearnedModel, texts: list[str]) -> None:
    matrix = counts_matrix(model, 0, [term_counts("en", t) for t in texts])
    documents = [(i, f"c{i}", None, f"title {i}") for i in range(len(texts))]
    rows = rows_from_matrix(model, 0, documents, matrix)
    language_model = model.models[0]
    projected = matrix @ np.ascontiguousarray(language_model.components.T)
    factor = language_model.factor
    expected: dict[int, list[tuple[int, float]]] = {}
    for i, b in enumerate(projected):
        if not b.any():
            continue
        weights = nnls(factor, solve_triangular(factor, b, trans="T"))[0]
        total = float(weights.sum())
        if total <= 0:
            continue
        shares = [float(w) / total for w in weights]
        best = int(weights.argmax())
        expected[i] = [(t, s) for t, s in enumerate(shares) if t == best or s >= 0.3]
    assert {row.position: row.topics for row in rows} == expected
    assert len(rows) < len(texts)  # the empty documents give no row
