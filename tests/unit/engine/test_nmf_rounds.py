"""The topic model's NMF stops once a round no longer lowers its error, about where
running every round would end, and stays cancellable between rounds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import nnls
from sklearn.decomposition import NMF

from convoscope_analyzer.engine import learned


def _matrix(seed: int = 3) -> sparse.csr_array:
    """A sparse TF-IDF-like matrix: a few planted topics and some noise."""
    rng = np.random.default_rng(seed)
    topics = rng.random((6, 300)) * (rng.random((6, 300)) < 0.08)
    weights = rng.random((800, 6)) ** 4
    noise = 0.02 * rng.random((800, 300)) * (rng.random((800, 300)) < 0.05)
    return sparse.csr_array(weights @ topics + noise)


def _residual(dense: np.ndarray, components: np.ndarray) -> float:
    """How well the topics rebuild the rows (each row's best non-negative weights)."""
    weights = np.array([nnls(components.T, row)[0] for row in dense])
    return float(np.linalg.norm(dense - weights @ components))


def test_stops_early_and_about_where_every_round_ends() -> None:
    matrix = _matrix()
    pulses: list[int] = []
    components = learned._fit_nmf(matrix, 6, lambda: pulses.append(1))
    assert len(pulses) < learned.NMF_MAX_ROUNDS - 1  # it stopped before the last round

    every_round = NMF(n_components=6, init="nndsvda", random_state=0, max_iter=300, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every_round.fit_transform(matrix)
    dense = matrix.toarray()[:200]
    assert _residual(dense, components) <= 1.001 * _residual(dense, every_round.components_)


def test_cancellable_between_rounds() -> None:
    class Stop(Exception):
        pass

    def pulse() -> None:
        raise Stop

    with pytest.raises(Stop):
        learned._fit_nmf(_matrix(), 6, pulse)
