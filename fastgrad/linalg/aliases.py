"""The top-level names PyTorch keeps for linear algebra (torch.det, torch.inverse,
torch.svd, ...) and the Tensor methods of the same names. torch.svd and torch.qr keep their
older conventions (some=, V rather than Vh), which these follow."""
import collections

from ..tensor import Tensor
from . import decompositions, derived, inverse, more
from ._common import float_matrix, mT

SvdResult = collections.namedtuple("svd", ["U", "S", "V"])
SvdResult.__doc__ = "U, S and V (not Vh) of torch.svd's convention (torch.return_types.svd)."


def det(input):
    """The determinant of each square matrix (torch.det)."""
    return inverse.det(input)


def logdet(input):
    """ln det of each square matrix: NaN where det < 0, −inf where it is 0 (torch.logdet)."""
    return inverse.logdet(input)


def slogdet(input):
    """(sign, logabsdet) of each square matrix (torch.slogdet)."""
    return inverse.slogdet(input)


def inverse_(input):
    """The inverse of each square matrix (torch.inverse)."""
    return inverse.inv(input)


def cholesky(input, upper=False):
    """The Cholesky factor, lower-triangular or (upper=True) upper (torch.cholesky)."""
    return decompositions.cholesky(input, upper=upper)


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, singular values at or below rcond·σ_max counted as zero
    (torch.pinverse)."""
    return derived.pinv(input, rtol=rcond)


def svd(input, some=True, compute_uv=True):
    """(U, S, V) with input = U diag(S) Vᵀ (torch.svd): reduced factors with some=True, full
    ones otherwise; with compute_uv=False U and V are zero matrices (of the full shapes) and
    only S is computed, as in PyTorch."""
    if not compute_uv:
        from ..factory import zeros
        s = decompositions.svdvals(input)
        m, n = s.shape[:-1] + (input.shape[-2],), s.shape[:-1] + (input.shape[-1],)
        return SvdResult(zeros(*(m + (m[-1],)), dtype=s.dtype), s,
                         zeros(*(n + (n[-1],)), dtype=s.dtype))
    u, s, vh = decompositions.svd(input, full_matrices=not some)
    return SvdResult(u, s, mT(vh))


def qr(input, some=True):
    """(Q, R) with input = QR (torch.qr): reduced with some=True, complete otherwise."""
    return decompositions.qr(input, "reduced" if some else "complete")


def matrix_power(input, n):
    """input multiplied by itself n times (torch.matrix_power)."""
    return inverse.matrix_power(input, n)


def matrix_exp(input):
    """The matrix exponential of each square matrix (torch.matrix_exp)."""
    return more.matrix_exp(input)


def cholesky_solve(input, input2, upper=False):
    """X with A X = input where A = L Lᵀ and input2 is its Cholesky factor L (Lᵀ with
    upper=True) (torch.cholesky_solve): two triangular solves."""
    low = float_matrix(input2, "input2", "cholesky_solve", square=True)
    if upper:
        low = mT(low)
    y = more.solve_triangular(low, input, upper=False)
    return more.solve_triangular(mT(low), y, upper=True)


def cholesky_inverse(input, upper=False):
    """The inverse of A = L Lᵀ from its Cholesky factor L (Lᵀ with upper=True)
    (torch.cholesky_inverse)."""
    low = float_matrix(input, "input", "cholesky_inverse", square=True)
    if upper:
        low = mT(low)
    from ..factory import eye
    identity = eye(low.shape[-1], dtype=low.dtype)
    return cholesky_solve(identity.expand(*low.shape), low)


# ---- the Tensor methods -------------------------------------------------------------------------

def _method(fn, doc):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__, method.__doc__ = fn.__name__.rstrip("_"), doc
    return method


for _name, _fn in [("det", det), ("logdet", logdet), ("slogdet", slogdet),
                   ("inverse", inverse_), ("cholesky", cholesky), ("pinverse", pinverse),
                   ("svd", svd), ("qr", qr), ("matrix_power", matrix_power),
                   ("matrix_exp", matrix_exp), ("cholesky_solve", cholesky_solve),
                   ("cholesky_inverse", cholesky_inverse)]:
    setattr(Tensor, _name, _method(_fn, f"{_fn.__doc__.split(' (torch.')[0]} "
                                        f"(torch.Tensor.{_name})."))
