"""The rest of torch.linalg: the pseudo-inverse (a Function), and ops built from other
differentiable ops: lstsq, matrix_rank, vector_norm, matrix_norm, norm, cross, multi_dot.

pinv's derivative (Golub and Pereyra's, valid where the rank does not change), with P = A⁺:
    gA = −Pᵀ g Pᵀ + (I − A P) gᵀ P Pᵀ + Pᵀ P gᵀ (I − P A)
"""
import collections

import numpy as np

from ..autograd import ArrayFunction as Function
from ..dtypes import result_type
from ..ops_linalg import cross as _cross
from ..ops_math import abs as _abs, as_tensor_input, matmul
from ..ops_reduce import Norm, amax, amin, normalize_dims, sum as _sum
from ..ops_shape import broadcast_tensors, movedim, squeeze, unsqueeze
from ..tensor import Tensor
from ._common import accepts_out, float_matrix, mt, svd_of
from .decompositions import svdvals

LstsqResult = collections.namedtuple("lstsq", ["solution", "residuals", "rank",
                                               "singular_values"])
LstsqResult.__doc__ = ("The solution, residuals, rank and singular values of lstsq "
                       "(torch.return_types.linalg_lstsq).")


def _cutoff(s, m, n, atol, rtol, dtype):
    """The singular values at or below which a matrix counts as rank-deficient, as PyTorch
    sets it: max(atol, rtol·σ_max), rtol = eps·max(m, n) when neither is given, 0 when only
    atol is."""
    if rtol is None:
        rtol = np.finfo(dtype).eps * max(m, n) if atol is None or atol <= 0 else 0.0
    atol = 0.0 if atol is None else atol
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), dtype)
    return np.maximum(atol, rtol * smax)


class Pinv(Function):
    """The Moore-Penrose pseudo-inverse A⁺ of each matrix of a batch."""

    @staticmethod
    def forward(ctx, a, atol, rtol):
        u, s, vh = svd_of(a, "linalg.pinv", full_matrices=False)
        keep = s > _cutoff(s, *a.shape[-2:], atol, rtol, a.dtype)
        with np.errstate(divide="ignore"):
            s_inv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
        p = (mt(vh) * s_inv[..., None, :]) @ mt(u)
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g):
        a, p = ctx.saved_tensors
        pt, gt = mt(p), mt(g)
        m, n = a.shape[-2:]
        return (-(pt @ g @ pt)
                + (np.eye(m, dtype=a.dtype) - a @ p) @ gt @ p @ pt
                + pt @ p @ gt @ (np.eye(n, dtype=a.dtype) - p @ a)), None, None


@accepts_out
def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The pseudo-inverse of each matrix of A (torch.linalg.pinv): singular values at or below
    max(atol, rtol·σ_max) count as zero (rtol defaults to eps·max(m, n)). hermitian is
    accepted for PyTorch's signature; the SVD serves both cases."""
    a = float_matrix(A, "A", "linalg.pinv")
    return Pinv.apply(a, None if atol is None else float(atol),
                      None if rtol is None else float(rtol))


@accepts_out
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values of each matrix above max(atol, rtol·σ_max), an int64
    tensor (torch.linalg.matrix_rank)."""
    a = float_matrix(A, "A", "linalg.matrix_rank")
    s = svd_of(a._data, "linalg.matrix_rank", compute_uv=False)
    cutoff = _cutoff(s, *a.shape[-2:], atol, rtol, a.dtype)
    return Tensor(np.sum(s > cutoff, axis=-1).astype(np.int64))


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X minimising ‖A X − B‖ for each matrix of A (..., m, n)
    and B (..., m, k) (torch.linalg.lstsq), as pinv(A) @ B, which is the unique solution for
    a full-rank A and the minimum-norm one otherwise. Returns (solution, residuals, rank,
    singular_values) with residuals and singular_values empty, as PyTorch's default CPU
    driver gives them."""
    a = float_matrix(A, "A", "linalg.lstsq")
    b = as_tensor_input(B, "B")
    if b.dtype.kind != "f":
        raise TypeError(f"linalg.lstsq: B must be a float32 or float64 tensor, got dtype "
                        f"{b.dtype}")
    if driver not in (None, "gelsy", "gels", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be None, 'gels', 'gelsy', 'gelsd' or "
                         f"'gelss', got {driver!r}")
    dt = result_type(a, b)
    a, b = (t if t.dtype == dt else t.to(dt) for t in (a, b))
    vector = b.ndim == a.ndim - 1
    if vector:
        b = unsqueeze(b, -1)
    if b.ndim < 2 or b.shape[-2] != a.shape[-2]:
        raise ValueError(f"linalg.lstsq: A of shape {tuple(a.shape)} and B of shape "
                         f"{tuple(B.shape)} do not match (B needs {a.shape[-2]} rows)")
    x = matmul(pinv(a, rtol=rcond), b)
    if vector:
        x = squeeze(x, -1)
    empty = Tensor(np.zeros(0, dtype=a.dtype))
    rank = matrix_rank(a, rtol=rcond)
    return LstsqResult(x, empty, rank, Tensor(np.zeros(0, dtype=a.dtype)))


# ---- norms --------------------------------------------------------------------------------------

@accepts_out
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ord-norm over dim (every element by default) (torch.linalg.vector_norm):
    (Σ|x|^ord)^(1/ord); ord inf/-inf the largest/smallest |x|, 0 the count of nonzeros."""
    t = as_tensor_input(x, "x")
    if dtype is not None:
        t = t.to(dtype)
    if t.dtype.kind != "f":
        raise TypeError(f"linalg.vector_norm: x must be a float tensor, got dtype {t.dtype}")
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float, np.number)):
        raise ValueError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    axes = normalize_dims(dim, t.ndim, "linalg.vector_norm: dim")
    return Norm.apply(t, float(ord), axes, bool(keepdim))


@accepts_out
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm of each matrix of A over the two dimensions dim
    (torch.linalg.matrix_norm): 'fro', 'nuc' (sum of singular values), 2/-2 (largest/smallest
    singular value), 1/-1 (max/min column sum of |A|), inf/-inf (max/min row sum)."""
    a = as_tensor_input(A, "A")
    if dtype is not None:
        a = a.to(dtype)
    a = float_matrix(a, "A", "linalg.matrix_norm")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must be a pair of dimensions, got {dim!r}")
    d0, d1 = (normalize_dims(d, a.ndim, "linalg.matrix_norm: dim")[0] for d in dim)
    if d0 == d1:
        raise ValueError(f"linalg.matrix_norm: dim must name two different dimensions, got "
                         f"{dim!r}")
    if ord == "fro":
        out = Norm.apply(a, 2.0, tuple(sorted((d0, d1))), True)
    elif ord in ("nuc", 2, -2):
        s = svdvals(movedim(a, (d0, d1), (-2, -1)))
        s = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        out = unsqueeze(unsqueeze(s, min(d0, d1)), max(d0, d1))
    elif ord in (1, -1, np.inf, -np.inf):
        # 1: sum over rows (d0) then the extreme column; inf: sum over columns then rows
        first, second = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = _sum(_abs(a), first, keepdim=True)
        out = amax(sums, second, keepdim=True) if ord > 0 else amin(sums, second, keepdim=True)
    else:
        raise ValueError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or "
                         f"-inf, got {ord!r}")
    return out if keepdim else squeeze(out, (d0, d1))


@accepts_out
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector or matrix norm (torch.linalg.norm): with dim an int, or dim None and A 1-d,
    vector_norm; with dim a pair, or dim None and A 2-d, matrix_norm; with ord and dim both
    None, the 2-norm of every element."""
    a = as_tensor_input(A, "A")
    if dim is None and ord is None:
        return vector_norm(a, 2, None, keepdim, dtype=dtype)
    if dim is None:
        if a.ndim not in (1, 2):
            raise ValueError(f"linalg.norm: A must be 1-d or 2-d when ord is given and dim is "
                             f"None, got shape {tuple(a.shape)}")
        dim = (-2, -1) if a.ndim == 2 else -1
    if isinstance(dim, (tuple, list)) and len(dim) == 2:
        return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if isinstance(dim, (tuple, list)) and len(dim) != 1:
        raise ValueError(f"linalg.norm: dim must be an int or a pair, got {dim!r}")
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# ---- cross, multi_dot ---------------------------------------------------------------------------

@accepts_out
def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along dim (default the last), inputs broadcast
    (torch.linalg.cross)."""
    a, b = broadcast_tensors(as_tensor_input(input), as_tensor_input(other, "other"))
    return _cross(a, b, dim=dim)


@accepts_out
def multi_dot(tensors):
    """The product of a chain of matrices (torch.linalg.multi_dot): the first may be a
    vector (a row), the last a vector (a column), and those dimensions are dropped."""
    ts = [as_tensor_input(t, f"tensors[{i}]") for i, t in enumerate(tensors)]
    if len(ts) < 2:
        raise ValueError(f"linalg.multi_dot: expected at least 2 tensors, got {len(ts)}")
    for i, t in enumerate(ts):
        allowed = (1, 2) if i in (0, len(ts) - 1) else (2,)
        if t.ndim not in allowed:
            raise ValueError(f"linalg.multi_dot: tensors[{i}] must be "
                             f"{'1-d or 2-d' if len(allowed) == 2 else '2-d'}, got shape "
                             f"{tuple(t.shape)}")
    out = ts[0]
    for t in ts[1:]:
        out = matmul(out, t)
    return out
