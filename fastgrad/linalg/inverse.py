"""Determinants, inverses and linear solves (torch.linalg.det, slogdet, inv, solve,
matrix_power), each op's forward beside its local derivative, batched over leading dimensions.

With out = op(A) and g the gradient arriving from above:
    det:    d det(A)/dA      = det(A)·A⁻ᵀ (the cofactor matrix, which stays finite when A is
            singular: there it is computed from the SVD rather than from an inverse)
    slogdet: d ln|det A|/dA  = A⁻ᵀ
    inv:    gA = −A⁻ᵀ g A⁻ᵀ
    solve:  X = A⁻¹B: gB = A⁻ᵀ g, gA = −gB Xᵀ
"""
import collections

import numpy as np

from ..autograd import ArrayFunction as Function
from ..dtypes import result_type
from ..ops_math import as_tensor_input, log, matmul
from ..ops_shape import clone, squeeze, unsqueeze
from ..tensor import Tensor
from ._common import (accepts_out, check_batches_broadcast, float_matrix, mT, mt, same_ndim,
                      singular_error, sum_to_shape, svd_of)

SlogdetResult = collections.namedtuple("slogdet", ["sign", "logabsdet"])
SlogdetResult.__doc__ = "The sign and ln|det| of slogdet (torch.return_types.slogdet)."


class Det(Function):
    """det(A) of each matrix of a batch."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(invalid="ignore"):  # NaN in, NaN out, quietly as in PyTorch
            return np.linalg.det(a)

    @staticmethod
    def backward(ctx, g):  # d det/dA = the cofactor matrix det(A)·A⁻ᵀ
        a, = ctx.saved_tensors
        return g[..., None, None] * _cofactors(a)


def _cofactors(a):
    """The cofactor matrix det(A)·A⁻ᵀ of each matrix: from the inverse where det(A) ≠ 0,
    from the SVD where it is 0 (there A⁻¹ does not exist but the cofactors do)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    d = np.linalg.det(flat)
    out = np.empty_like(flat)
    regular = d != 0
    if regular.any():
        out[regular] = d[regular, None, None] * mt(np.linalg.inv(flat[regular]))
    if not regular.all():
        out[~regular] = _cofactors_svd(flat[~regular])
    return out.reshape(a.shape)


def _cofactors_svd(a):
    """det(A)·A⁻ᵀ for any A, singular included: from A = U S Vh it is
    det(U)det(Vh)·U·diag(Π of the other singular values)·Vh."""
    u, s, vh = svd_of(a, "linalg.det (its gradient)")
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    # the product of every singular value but the i-th, without dividing by a zero one
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(s[..., 1:], -1)], axis=-1),
                               axis=-1), -1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * ((u * (before * after)[..., None, :]) @ vh)


class LogAbsDet(Function):
    """ln|det A| of each matrix of a batch (the second output of slogdet)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(invalid="ignore"):
            return np.linalg.slogdet(a)[1]

    @staticmethod
    def backward(ctx, g):  # d ln|det A|/dA = A⁻ᵀ
        a, = ctx.saved_tensors
        return g[..., None, None] * mt(_inv_or_nan(a))


def _inv_or_nan(a):
    """A⁻¹, NaN for a singular matrix (its ln|det| has no derivative there)."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.full_like(a, np.nan)


class Inv(Function):
    """A⁻¹ of each matrix of a batch."""

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError as err:
            raise singular_error("linalg.inv", "input A", err) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):  # d(A⁻¹) = −A⁻¹ dA A⁻¹, so gA = −A⁻ᵀ g A⁻ᵀ
        out, = ctx.saved_tensors
        out_t = mt(out)
        return -(out_t @ g @ out_t)


class Solve(Function):
    """X with A X = B for batches of matrices A (n, n) and B (n, k), batches broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        a, b = same_ndim(a, b)
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError as err:
            raise singular_error("linalg.solve", "input A", err) from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):  # X = A⁻¹B: gB = A⁻ᵀ g, gA = −gB Xᵀ
        a, x = ctx.saved_tensors
        a_shape, b_shape = ctx.shapes
        gb = np.linalg.solve(mt(a), g)
        ga = -(gb @ mt(x)) if ctx.needs_input_grad[0] else None
        return (None if ga is None else sum_to_shape(ga, a_shape),
                sum_to_shape(gb, b_shape) if ctx.needs_input_grad[1] else None)


# ---- the public functions -----------------------------------------------------------------------

@accepts_out
def det(A):
    """The determinant of each square matrix of A (..., n, n) (torch.linalg.det)."""
    return Det.apply(float_matrix(A, "A", "linalg.det", square=True))


def slogdet(A):
    """(sign, logabsdet): the sign of det(A) and ln|det(A)|, which does not overflow as det
    does (torch.linalg.slogdet). Only logabsdet has a gradient."""
    a = float_matrix(A, "A", "linalg.slogdet", square=True)
    with np.errstate(invalid="ignore"):
        sign = Tensor(np.sign(np.linalg.slogdet(a._data)[0]).astype(a.dtype))
    return SlogdetResult(sign, LogAbsDet.apply(a))


def logdet(A):
    """ln det(A) of each square matrix: NaN where det(A) < 0, −inf where it is 0
    (torch.logdet)."""
    sign, logabsdet = slogdet(A)
    return logabsdet + log(sign)  # ln(sign) adds 0, NaN or −inf, and has no gradient


@accepts_out
def inv(A):
    """The inverse of each square matrix of A (torch.linalg.inv); a singular matrix raises
    LinAlgError."""
    return Inv.apply(float_matrix(A, "A", "linalg.inv", square=True))


@accepts_out
def solve(A, B, *, left=True):
    """X with A X = B (left=True) or X A = B (left=False) (torch.linalg.solve). A is
    (..., n, n); B is (..., n, k), or a vector (..., n) when B is 1-d or has A's batch shape,
    as PyTorch reads it; batch dimensions broadcast. A singular A raises LinAlgError."""
    a = float_matrix(A, "A", "linalg.solve", square=True)
    b = as_tensor_input(B, "B")
    if b.dtype.kind != "f":
        raise TypeError(f"linalg.solve: B must be a float32 or float64 tensor, got dtype "
                        f"{b.dtype}")
    dt = result_type(a, b)
    a, b = (t if t.dtype == dt else t.to(dt) for t in (a, b))
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    if b.ndim == 0:
        raise ValueError("linalg.solve: B must have at least 1 dimension, got a 0-d tensor")
    n = a.shape[-1]
    if vector:
        if b.shape[-1] != n:
            raise ValueError(f"linalg.solve: A of shape {tuple(a.shape)} and the vector B of "
                             f"shape {tuple(b.shape)} do not match (B needs {n} elements)")
        b = unsqueeze(b, -1)
    if not left:  # X A = B is Aᵀ Xᵀ = Bᵀ
        a, b = mT(a), mT(b)
    if b.shape[-2] != n:
        raise ValueError(f"linalg.solve: A of shape {tuple(a.shape)} and B of shape "
                         f"{tuple(b.shape)} do not match (B needs {n} "
                         f"{'rows' if left else 'columns'})")
    check_batches_broadcast("linalg.solve", a, b)
    x = Solve.apply(a, b)
    if not left:
        x = mT(x)
    return squeeze(x, -1) if vector else x


@accepts_out
def matrix_power(A, n):
    """A multiplied by itself n times (torch.linalg.matrix_power): n = 0 gives the identity,
    a negative n powers of the inverse. Products by repeated squaring, so the gradient is
    that of the matmuls."""
    a = float_matrix(A, "A", "linalg.matrix_power", square=True)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return Tensor(np.array(eye))
    if n < 0:
        a, n = inv(a), -n
    result, power = None, a
    while True:  # binary exponentiation: log2(n) squarings
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if not n:
            return clone(result) if result is a else result  # a new tensor, as PyTorch's
        power = matmul(power, power)
