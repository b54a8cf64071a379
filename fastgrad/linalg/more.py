"""The smaller torch.linalg functions: solve_triangular and matrix_exp (Functions with their
derivatives), and compositions of differentiable ops: cond, vecdot, vander, tensorinv,
tensorsolve, and the aliases matmul and diagonal.

    solve_triangular: X = T⁻¹B, T the triangle of A read: gB = T⁻ᵀ g, gA = the same
                      triangle of −gB Xᵀ
    matrix_exp:       gA = the upper-right block of exp([[Aᵀ, g], [0, Aᵀ]]) (the derivative
                      of exp in direction g, by the block-triangular identity)
"""
import numpy as np

from ..autograd import ArrayFunction as Function
from ..dtypes import result_type
from ..ops_math import as_tensor_input, matmul as _matmul
from ..ops_reduce import sum as _sum
from ..ops_shape import diagonal as _diagonal, movedim, reshape, stack
from ._common import (LinAlgError, accepts_out, check_batches_broadcast, float_matrix, mT, mt,
                      same_ndim, sum_to_shape)
from .decompositions import svdvals
from .derived import matrix_norm
from .inverse import inv, solve


# ---- solve_triangular ---------------------------------------------------------------------------

def _triangle(a, upper, unit):
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        t = t.copy()
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


class SolveTriangular(Function):
    """X with T X = B, T the upper or lower triangle of A (unit diagonal if unitriangular)."""

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        ctx.args = a.shape, b.shape, upper, unitriangular
        a, b = same_ndim(a, b)
        t = _triangle(a, upper, unitriangular)
        try:
            x = np.linalg.solve(t, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.solve_triangular: the input A (or one of the batch) has "
                              "a zero on its diagonal, so it is singular") from None
        ctx.save_for_backward(t, x)
        return x

    @staticmethod
    def backward(ctx, g):  # gB = T⁻ᵀ g; gA = −gB Xᵀ on the triangle forward read
        t, x = ctx.saved_tensors
        a_shape, b_shape, upper, unit = ctx.args
        gb = np.linalg.solve(mt(t), g)
        ga = None
        if ctx.needs_input_grad[0]:
            full = -(gb @ mt(x))
            ga = np.triu(full, 1 if unit else 0) if upper else np.tril(full, -1 if unit else 0)
            ga = sum_to_shape(ga, a_shape)
        return ga, sum_to_shape(gb, b_shape), None, None


@accepts_out
def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (left=True) or X A = B, reading only A's upper (upper=True) or lower
    triangle, its diagonal taken as ones with unitriangular (torch.linalg.solve_triangular).
    Batch dimensions broadcast; a zero on the diagonal raises LinAlgError."""
    a = float_matrix(A, "A", "linalg.solve_triangular", square=True)
    b = float_matrix(B, "B", "linalg.solve_triangular")
    dt = result_type(a, b)
    a, b = (t if t.dtype == dt else t.to(dt) for t in (a, b))
    if not left:  # X A = B is Aᵀ Xᵀ = Bᵀ, and Aᵀ's triangle is the other one
        a, b, upper = mT(a), mT(b), not upper
    n = a.shape[-1]
    if b.shape[-2] != n:
        raise ValueError(f"linalg.solve_triangular: A of shape {tuple(A.shape)} and B of shape "
                         f"{tuple(B.shape)} do not match")
    check_batches_broadcast("linalg.solve_triangular", A, B)
    x = SolveTriangular.apply(a, b, bool(upper), bool(unitriangular))
    return x if left else mT(x)


# ---- matrix_exp ---------------------------------------------------------------------------------

# the [6/6] Padé approximant of exp: exp(X) ≈ D(X)⁻¹ N(X), N = Σ cₖXᵏ, D = Σ (−1)ᵏ cₖXᵏ;
# with ‖X‖ ≤ 1/2 its error is below float64's rounding
_PADE6 = (1.0, 1 / 2, 5 / 44, 1 / 66, 1 / 792, 1 / 15840, 1 / 665280)


def _expm(a):
    """exp of each matrix of a batch: scaling by 2^-s, Padé, then s squarings."""
    if a.size == 0:
        return a.copy()
    norm = np.max(np.sum(np.abs(a), axis=-1))  # the ∞-norm, largest over the batch
    s = max(0, int(np.ceil(np.log2(norm / 0.5)))) if norm > 0.5 else 0
    x = a / a.dtype.type(2.0 ** s)
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    num, den, power = eye * _PADE6[0], eye * _PADE6[0], eye
    for k, c in enumerate(_PADE6[1:], start=1):
        power = power @ x
        num = num + c * power
        den = den + (-c if k % 2 else c) * power
    r = np.linalg.solve(den, num)
    for _ in range(s):
        r = r @ r
    return r.astype(a.dtype, copy=False)


class MatrixExp(Function):
    """exp(A) = Σ Aᵏ/k! of each matrix of a batch."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm(a)

    @staticmethod
    def backward(ctx, g):  # exp([[Aᵀ, g], [0, Aᵀ]]) = [[exp(Aᵀ), gA], [0, exp(Aᵀ)]]
        a, = ctx.saved_tensors
        n = a.shape[-1]
        block = np.zeros(a.shape[:-2] + (2 * n, 2 * n), dtype=a.dtype)
        block[..., :n, :n] = block[..., n:, n:] = mt(a)
        block[..., :n, n:] = g
        return _expm(block)[..., :n, n:]


def matrix_exp(A):
    """The matrix exponential Σ Aᵏ/k! of each square matrix (torch.linalg.matrix_exp)."""
    return MatrixExp.apply(float_matrix(A, "A", "linalg.matrix_exp", square=True))


# ---- compositions -------------------------------------------------------------------------------

def matmul(input, other):
    """The matrix product (torch.linalg.matmul, an alias of torch.matmul)."""
    return _matmul(input, other)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices of A (torch.linalg.diagonal: torch.diagonal with the
    last two dimensions as default)."""
    return _diagonal(as_tensor_input(A, "A"), offset, dim1, dim2)


@accepts_out
def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along dim, inputs broadcast (torch.linalg.vecdot)."""
    return _sum(as_tensor_input(x, "x") * as_tensor_input(y, "y"), dim)


def vander(x, N=None):
    """The Vandermonde matrix of the vectors x (..., n): columns x⁰, x¹, ..., x^(N−1)
    (torch.linalg.vander; N defaults to n)."""
    t = as_tensor_input(x, "x")
    if t.ndim < 1:
        raise ValueError("linalg.vander: x must have at least 1 dimension, got a 0-d tensor")
    n = t.shape[-1] if N is None else N
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"linalg.vander: N must be a positive int, got {N!r}")
    # powers by repeated products: a gradient finite at x = 0, unlike x ** k for k = 0
    columns = [t * 0 + 1]
    for _ in range(n - 1):
        columns.append(columns[-1] * t)
    return stack(columns, -1)


@accepts_out
def cond(A, p=None):
    """The condition number of each matrix in the norm p (torch.linalg.cond): p None or 2
    the ratio of the largest to the smallest singular value (−2 its inverse); 'fro', 'nuc',
    1, −1, inf, −inf: ‖A‖·‖A⁻¹‖ of a square A."""
    a = float_matrix(A, "A", "linalg.cond")
    if p is None or p in (2, -2):
        s = svdvals(a)
        k = s.shape[-1]
        big, small = s[..., 0], s[..., k - 1]
        return small / big if p == -2 else big / small
    if p not in ("fro", "nuc", 1, -1, np.inf, -np.inf):
        raise ValueError(f"linalg.cond: p must be None, 'fro', 'nuc', 2, -2, 1, -1, inf or "
                         f"-inf, got {p!r}")
    a = float_matrix(a, "A", "linalg.cond", square=True)
    return matrix_norm(a, p) * matrix_norm(inv(a), p)


@accepts_out
def tensorinv(A, ind=2):
    """The tensor B with tensordot(B, A, ind) the identity (torch.linalg.tensorinv): A's first
    ind dimensions against the rest, as an inverse of the matrix they make."""
    a = as_tensor_input(A, "A")
    if isinstance(ind, bool) or not isinstance(ind, (int, np.integer)) or ind <= 0:
        raise ValueError(f"linalg.tensorinv: ind must be a positive int, got {ind!r}")
    left, right = tuple(a.shape[:ind]), tuple(a.shape[ind:])
    rows, cols = int(np.prod(left)), int(np.prod(right))
    if rows != cols:
        raise ValueError(f"linalg.tensorinv: the product of A's first ind={ind} dimensions "
                         f"({rows}) must equal that of the rest ({cols}), shape "
                         f"{tuple(a.shape)}")
    return reshape(inv(reshape(a, (rows, cols))), right + left)


@accepts_out
def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B (torch.linalg.tensorsolve); dims: dimensions of A
    moved to the end first."""
    a, b = as_tensor_input(A, "A"), as_tensor_input(B, "B")
    if dims is not None:
        dims = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
        a = movedim(a, dims, list(range(a.ndim - len(dims), a.ndim)))
    if tuple(a.shape[:b.ndim]) != tuple(b.shape):
        raise ValueError(f"linalg.tensorsolve: A's leading dimensions {tuple(a.shape)} must "
                         f"match B's shape {tuple(b.shape)}")
    rest = tuple(a.shape[b.ndim:])
    rows, cols = int(np.prod(b.shape)), int(np.prod(rest))
    if rows != cols:
        raise ValueError(f"linalg.tensorsolve: A's dimensions after B's ({rest}) must hold as "
                         f"many elements as B ({rows})")
    return reshape(solve(reshape(a, (rows, cols)), reshape(b, (rows,))), rest)
