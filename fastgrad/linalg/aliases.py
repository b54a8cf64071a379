"""The top-level names PyTorch keeps for linear algebra (torch.det, torch.inverse,
torch.svd, ...) and the Tensor methods of the same names. torch.svd and torch.qr keep their
older conventions (some=, V rather than Vh), which these follow."""
import collections

from ..tensor import Tensor
from . import decompositions, derived, inverse
from ._common import mT

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


# ---- the Tensor methods -------------------------------------------------------------------------

def _method(fn, doc):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__, method.__doc__ = fn.__name__.rstrip("_"), doc
    return method


for _name, _fn in [("det", det), ("logdet", logdet), ("slogdet", slogdet),
                   ("inverse", inverse_), ("cholesky", cholesky), ("pinverse", pinverse),
                   ("svd", svd), ("qr", qr), ("matrix_power", matrix_power)]:
    setattr(Tensor, _name, _method(_fn, f"{_fn.__doc__.split(' (torch.')[0]} "
                                        f"(torch.Tensor.{_name})."))
