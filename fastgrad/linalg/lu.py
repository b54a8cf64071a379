"""LU factorization with partial pivoting (torch.linalg.lu, lu_factor, lu_solve and
torch.lu_unpack): A = P L U, P a permutation, L unit lower-triangular (m×k), U upper (k×n).

NumPy has no LU, so the elimination is written here, one column at a time over the whole
batch (LAPACK's getrf order: the largest |entry| of the column is the pivot). The LU Function
returns P, L and U packed (P carries no gradient); lu_solve is two triangular solves, so its
gradient, for LU and for B, is theirs. With k = min(m, n), for a square A:
    gA = P L⁻ᵀ (tril(Lᵀ gL, −1) + triu(gU Uᵀ)) U⁻ᵀ
and for a wide or tall A PyTorch's extensions of it (the extra columns of U or rows of L).
"""
import collections

import numpy as np

from ..autograd import ArrayFunction as Function
from ..dtypes import result_type
from ..ops_math import as_tensor_input, matmul
from ..ops_shape import cat, transpose, tril, triu
from ..tensor import Tensor
from ._common import LinAlgError, accepts_out, float_matrix, mT, mt, pack, unpack
from .more import solve_triangular

LUResult = collections.namedtuple("lu", ["P", "L", "U"])
LUResult.__doc__ = "P, L and U of lu (torch.return_types.linalg_lu)."
LUFactorResult = collections.namedtuple("lu_factor", ["LU", "pivots"])
LUFactorResult.__doc__ = "The packed LU and LAPACK's 1-based pivots of lu_factor."


def _eliminate(a):
    """(lu, perm, pivots) of each matrix: lu holds L's strict lower part and U, A[perm] =
    L U, pivots LAPACK's 1-based row swaps."""
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    lu = np.array(a, dtype=a.dtype).reshape((int(np.prod(batch)), m, n))  # batch may be empty
    rows = np.arange(len(lu))
    perm = np.tile(np.arange(m), (len(lu), 1))
    pivots = np.zeros((len(lu), k), dtype=np.int32)
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=-1)
        pivots[:, j] = p + 1
        lu[rows, j], lu[rows, p] = lu[rows, p].copy(), lu[rows, j].copy()
        perm[rows, j], perm[rows, p] = perm[rows, p].copy(), perm[rows, j].copy()
        pivot = lu[:, j, j]
        # a zero pivot (a singular A) leaves its column unscaled, as LAPACK does
        lu[:, j + 1:, j] /= np.where(pivot != 0, pivot, 1)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return (lu.reshape(batch + (m, n)), perm.reshape(batch + (m,)),
            pivots.reshape(batch + (k,)))


def _permutation(perm, dtype):
    """P with P[perm[i], i] = 1, so that P L U = A when A[perm] = L U."""
    m = perm.shape[-1]
    p = np.zeros(perm.shape + (m,), dtype=dtype)
    np.put_along_axis(p, perm[..., :, None], 1, axis=-1)
    return mt(p)


class LU(Function):
    """P, L and U of A = P L U, packed."""

    @staticmethod
    def forward(ctx, a):
        m, n = a.shape[-2:]
        k = min(m, n)
        lu, perm, _ = _eliminate(a)
        low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=a.dtype)
        up = np.triu(lu[..., :k, :])
        p = _permutation(perm, a.dtype)
        ctx.save_for_backward(p, low, up)
        return pack(p, low, up, batch=a.shape[:-2])

    @staticmethod
    def backward(ctx, g):
        p, low, up = ctx.saved_tensors
        m, k, n = low.shape[-2], low.shape[-1], up.shape[-1]
        sizes = [m * m, m * k, k * n]
        starts = np.cumsum([0] + sizes)
        batch = g.shape[:-1]
        gl = g[..., starts[1]:starts[2]].reshape(batch + (m, k))
        gu = g[..., starts[2]:starts[3]].reshape(batch + (k, n))
        # L's unit diagonal and zeros, and U's zeros, are constants: their gradients go nowhere
        gl, gu = np.tril(gl, -1), np.triu(gu)
        if m == n:  # P L⁻ᵀ (tril(Lᵀ gL, −1) + triu(gU Uᵀ)) U⁻ᵀ
            inner = np.tril(mt(low) @ gl, -1) + np.triu(gu @ mt(up))
            ga = _solve_right_upper_t(up, inner)
            ga = np.linalg.solve(mt(low), ga)
        elif m < n:  # A = P L [U1 | U2]
            u1, gu1, gu2 = up[..., :, :k], gu[..., :, :k], gu[..., :, k:]
            inner = np.tril(mt(low) @ gl - np.triu(gu) @ mt(up), -1)
            ga1 = _solve_right_upper_t(u1, inner) + np.triu(gu1)
            ga = np.linalg.solve(mt(low), np.concatenate([ga1, gu2], axis=-1))
        else:  # A = P [L1; L2] U
            l1, gl1, gl2 = low[..., :k, :], gl[..., :k, :], gl[..., k:, :]
            inner = np.triu(gu @ mt(up) - mt(low) @ gl)
            top = np.linalg.solve(mt(l1), inner) + np.tril(gl1, -1)
            ga = _solve_right_upper_t(up, np.concatenate([top, gl2], axis=-2))
        return p @ ga


def _solve_right_upper_t(up, b):
    """b U⁻ᵀ (U upper-triangular, square)."""
    return mt(np.linalg.solve(up, mt(b)))


def _lu_parts(A, where):
    a = float_matrix(A, "A", where)
    m, n = a.shape[-2:]
    k = min(m, n)
    return a, unpack(LU.apply(a), [(m, m), (m, k), (k, n)])


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U (torch.linalg.lu): P a permutation matrix, L unit
    lower-triangular m×k, U upper-triangular k×n, k = min(m, n), with partial pivoting as
    LAPACK's getrf."""
    if not pivot:
        raise NotImplementedError("linalg.lu: LU without pivoting is not implemented on the "
                                  "CPU (as in PyTorch); use pivot=True")
    a, (p, low, up) = _lu_parts(A, "linalg.lu")
    return LUResult(p.detach(), low, up)


def lu_factor(A, *, pivot=True):
    """(LU, pivots) (torch.linalg.lu_factor): L's strict lower part and U in one m×n matrix,
    and LAPACK's 1-based row swaps as int32."""
    if not pivot:
        raise NotImplementedError("linalg.lu_factor: LU without pivoting is not implemented "
                                  "on the CPU (as in PyTorch); use pivot=True")
    a, (_, low, up) = _lu_parts(A, "linalg.lu_factor")
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = tuple(a.shape[:-2])
    # L's strict lower part and U, each padded with zeros to m×n
    strict, upper = tril(low, -1), triu(up)
    if m > n:
        upper = cat([upper, Tensor(np.zeros(batch + (m - k, n), dtype=a.dtype))], -2)
    elif n > m:
        strict = cat([strict, Tensor(np.zeros(batch + (m, n - k), dtype=a.dtype))], -1)
    lu_data, _, pivots = _eliminate(a._data)
    zero = np.diagonal(lu_data, axis1=-2, axis2=-1) == 0
    if zero.any():  # as PyTorch: lu_solve with it would divide by zero
        per_matrix = zero.reshape((-1, k))
        first = per_matrix[per_matrix.any(axis=1)][0]  # the first matrix with a zero in U
        i = int(np.argmax(first)) + 1
        raise LinAlgError(f"linalg.lu_factor: U[{i},{i}] of the input A (or one of the batch) "
                          "is zero, so A is singular and lu_solve would divide by zero; "
                          "linalg.lu factors it all the same")
    return LUFactorResult(strict + upper, Tensor(pivots))


def _perm_from_pivots(pivots, m):
    """The row order perm (A[perm] = L U) that LAPACK's 1-based swaps make."""
    piv = np.asarray(pivots, dtype=np.int64) - 1
    batch = piv.shape[:-1]
    perm = np.tile(np.arange(m), (int(np.prod(batch)), 1))
    flat = piv.reshape((len(perm), piv.shape[-1]))
    rows = np.arange(len(perm))
    for j in range(flat.shape[-1]):
        p = flat[:, j]
        perm[rows, j], perm[rows, p] = perm[rows, p].copy(), perm[rows, j].copy()
    return perm.reshape(batch + (m,))


def _check_pivots(LU, pivots, where):
    lu_t = float_matrix(LU, "LU", where)
    piv = as_tensor_input(pivots, "pivots")
    k = min(lu_t.shape[-2:])
    if piv.dtype.kind not in "iu" or tuple(piv.shape) != tuple(lu_t.shape[:-2]) + (k,):
        raise ValueError(f"{where}: pivots must be integers of shape "
                         f"{tuple(lu_t.shape[:-2]) + (k,)}, got {piv.dtype} of shape "
                         f"{tuple(piv.shape)}")
    p = piv.numpy()
    if p.size and (p.min() < 1 or p.max() > lu_t.shape[-2]):
        raise ValueError(f"{where}: pivots must be LAPACK's 1-based row numbers in "
                         f"[1, {lu_t.shape[-2]}]")
    return lu_t, p


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from lu_factor's (LU, pivots) (torch.lu_unpack)."""
    lu_t, piv = _check_pivots(LU_data, LU_pivots, "lu_unpack")
    m, n = lu_t.shape[-2:]
    k = min(m, n)
    p = Tensor(_permutation(_perm_from_pivots(piv, m), lu_t.dtype)) if unpack_pivots \
        else Tensor(np.zeros(0, dtype=lu_t.dtype))
    if not unpack_data:
        empty = Tensor(np.zeros(0, dtype=lu_t.dtype))
        return LUResult(p, empty, empty)
    low = tril(lu_t[..., :, :k], -1) + Tensor(np.eye(m, k, dtype=lu_t.dtype))
    return LUResult(p, low, triu(lu_t[..., :k, :]))


@accepts_out
def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (left=False: X A = B; adjoint: Aᵀ in A's place) from lu_factor's
    (LU, pivots) of a square A (torch.linalg.lu_solve): two triangular solves and a
    permutation, differentiable in LU and B."""
    lu_t, piv = _check_pivots(LU, pivots, "linalg.lu_solve")
    if lu_t.shape[-1] != lu_t.shape[-2]:
        raise ValueError(f"linalg.lu_solve: LU must be batches of square matrices, but they "
                         f"are {lu_t.shape[-2]} by {lu_t.shape[-1]} matrices")
    b = float_matrix(B, "B", "linalg.lu_solve")
    dt = result_type(lu_t, b)
    lu_t, b = (t if t.dtype == dt else t.to(dt) for t in (lu_t, b))
    if not left:  # X A = B is Aᵀ Xᵀ = Bᵀ
        return mT(lu_solve(lu_t, pivots, mT(b), adjoint=not adjoint))
    p = Tensor(_permutation(_perm_from_pivots(piv, lu_t.shape[-1]), dt))
    if not adjoint:  # A = P L U: X = U⁻¹ L⁻¹ Pᵀ B
        y = solve_triangular(lu_t, matmul(transpose(p, -2, -1), b), upper=False,
                             unitriangular=True)
        return solve_triangular(lu_t, y, upper=True)
    # Aᵀ = Uᵀ Lᵀ Pᵀ: X = P L⁻ᵀ U⁻ᵀ B
    z = solve_triangular(mT(lu_t), b, upper=False)
    return matmul(p, solve_triangular(mT(lu_t), z, upper=True, unitriangular=True))
