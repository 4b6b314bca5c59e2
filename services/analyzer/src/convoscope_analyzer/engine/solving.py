"""Numeric helpers of the learned topics: BLAS on one thread while a model is fitted,
and the per-document topic solve without scipy's per-call argument checks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_blas_lock = threading.Lock()
_blas_users = 0
_blas_limits: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while a model is fitted (process-wide, released when the last
    fit ends): the fitted numbers then do not depend on how many threads the machine's
    BLAS would use (a multi-threaded product sums in another order), and a fit on a busy
    machine does not wait on BLAS threads spinning for a core (measured: twice as fast
    with other work running)."""
    global _blas_users, _blas_limits
    # SciPy's own BLAS is loaded first (NumPy's is by then): threadpoolctl limits only
    # the libraries loaded when it is called, and a fit that loaded SciPy's afterwards
    # ran it on every core, with other last bits (topic terms that differ by the
    # process's import history).
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    with _blas_lock:
        if _blas_users == 0:
            _blas_limits = threadpool_limits(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limits.restore_original_limits()
                _blas_limits = None


def nnls_solver(factor: Any, projected: Any) -> Callable[[Any], Any]:
    """``b -> nnls(factor, solve_triangular(factor, b, trans="T"))[0]``, the weights of one
    document, calling the LAPACK routine and the NNLS kernel those scipy functions call
    with the arguments they pass (the same numbers, bit for bit), without their argument
    checks, which cost four times the solve on a 10 x 10 system. Falls back to the public
    functions when this scipy has no such kernel."""
    import numpy as np
    from scipy.linalg import get_lapack_funcs, solve_triangular
    from scipy.optimize import nnls

    def checked(b: Any) -> Any:
        return nnls(factor, solve_triangular(factor, b, trans="T"))[0]

    try:
        from scipy.optimize._slsqplib import nnls as nnls_kernel
    except ImportError:  # another scipy: the public functions
        return checked
    if not (factor.flags.c_contiguous and factor.dtype == np.float64 and np.isfinite(factor).all()):
        return checked
    if projected.dtype != np.float64 or not np.isfinite(projected).all():
        return checked
    (trtrs,) = get_lapack_funcs(("trtrs",), (factor, projected))
    # solve_triangular of a C-ordered upper factor with trans="T" solves the transposed
    # (F-ordered, lower) system without transposing; nnls iterates at most 3 k times.
    lower = factor.T
    limit = 3 * factor.shape[1]

    def fast(b: Any) -> Any:
        c, info = trtrs(lower, b, lower=True, trans=0)
        if info != 0:
            return checked(b)  # raises as solve_triangular does
        weights, _residual, status = nnls_kernel(factor, c, limit)
        if status == 3:
            raise RuntimeError("Maximum number of iterations reached.")
        return weights

    return fast
