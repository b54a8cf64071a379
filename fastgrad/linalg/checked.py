"""The *_ex variants of torch.linalg (inv_ex, solve_ex, cholesky_ex): the result with an
int32 `info` per matrix, LAPACK's code (0 fine; k > 0 the first zero pivot of the LU
factorization, or the order of the first leading minor that is not positive definite)
instead of an error, unless check_errors=True.

A failed matrix's result is NaN (PyTorch leaves LAPACK's partial result there, inf or a
partial factor, which is no answer either). The others keep their gradients: the failed
matrices are swapped for the identity before the op, so nothing flows to them.
"""
import collections

import numpy as np

from ..ops_math import where
from ..tensor import Tensor
from ._common import LinAlgError, float_matrix
from .decompositions import cholesky
from .inverse import inv, solve

InvExResult = collections.namedtuple("inv_ex", ["inverse", "info"])
InvExResult.__doc__ = "The inverse and LAPACK's info of inv_ex."
SolveExResult = collections.namedtuple("solve_ex", ["result", "info"])
SolveExResult.__doc__ = "The solution and LAPACK's info of solve_ex."
CholeskyExResult = collections.namedtuple("cholesky_ex", ["L", "info"])
CholeskyExResult.__doc__ = "The Cholesky factor and LAPACK's info of cholesky_ex."


def _lu_info(a):
    """getrf's info for one matrix: 1 + the column of the first exactly zero pivot of LU with
    partial pivoting, 0 if none (computed only for a matrix NumPy found singular)."""
    a = np.array(a, dtype=np.float64)
    n = a.shape[-1]
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return 0


def _cholesky_info(a):
    """potrf's info for one matrix: the order of the first leading minor that is not
    positive definite, 0 if none."""
    for k in range(1, a.shape[-1] + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def _infos(a, test, info_of):
    """info per matrix of the batch a: test(matrix) raising LinAlgError marks a failure."""
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.zeros(len(flat), dtype=np.int32)
    try:
        test(a)
        return info.reshape(a.shape[:-2])
    except np.linalg.LinAlgError:
        pass
    for i, m in enumerate(flat):
        try:
            test(m)
        except np.linalg.LinAlgError:
            info[i] = info_of(m) or 1
    return info.reshape(a.shape[:-2])


def _guarded(a, info, op, where_name, check_errors):
    """op on a with the failed matrices replaced by the identity, their results NaN."""
    if not info.any():
        return op(a)
    if check_errors:
        first = int(np.flatnonzero(info)[0])
        raise LinAlgError(f"{where_name}: the input A (matrix {first} of the batch) failed "
                          f"with info {int(info.reshape(-1)[first])}")
    failed = Tensor(info[..., None, None] != 0)
    eye = Tensor(np.eye(a.shape[-1], dtype=a.dtype))
    out = op(where(failed, eye, a))
    return where(failed, Tensor(np.array(np.nan, dtype=a.dtype)), out)


def inv_ex(A, *, check_errors=False):
    """(inverse, info) (torch.linalg.inv_ex): info > 0 where a matrix is singular, whose
    inverse is then NaN; check_errors=True raises instead."""
    a = float_matrix(A, "A", "linalg.inv_ex", square=True)
    info = _infos(a._data, np.linalg.inv, _lu_info)
    return InvExResult(_guarded(a, info, inv, "linalg.inv_ex", check_errors), Tensor(info))


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info) (torch.linalg.solve_ex): solve's result, NaN where A is singular
    (info > 0 there); check_errors=True raises instead."""
    a = float_matrix(A, "A", "linalg.solve_ex", square=True)
    info = _infos(a._data, np.linalg.inv, _lu_info)
    result = _guarded(a, info, lambda m: solve(m, B, left=left), "linalg.solve_ex",
                      check_errors)
    return SolveExResult(result, Tensor(info))


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info) (torch.linalg.cholesky_ex): info > 0, the order of the first leading minor
    that is not positive definite, where a matrix fails (its L is then NaN)."""
    a = float_matrix(A, "A", "linalg.cholesky_ex", square=True)
    info = _infos(a._data, np.linalg.cholesky, _cholesky_info)
    low = _guarded(a, info, lambda m: cholesky(m, upper=upper), "linalg.cholesky_ex",
                   check_errors)
    return CholeskyExResult(low, Tensor(info))
