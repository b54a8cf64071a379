"""Factorizations (torch.linalg.cholesky, qr, eigh, eigvalsh, svd, svdvals), each op's
forward (NumPy's LAPACK) beside its local derivative, batched over leading dimensions.

QR, eigh and SVD have several outputs: their Function returns them packed side by side
(_common.pack) and backward receives all their gradients, zeros for an unused one. With
skew(X) = X − Xᵀ, g the gradients, the derivatives are the standard ones (as PyTorch's):
    cholesky A = L Lᵀ:  gA = L⁻ᵀ Φ(Lᵀ gL) L⁻¹, Φ the lower triangle, diagonal halved, mirrored
    qr A = QR (m ≥ n):  gA = (gQ + Q copyltu(M)) R⁻ᵀ, M = R gRᵀ − gQᵀ Q
    eigh A = V Λ Vᵀ:    gA = V (diag(gΛ) + ½ skew(Vᵀ gV) / (λⱼ − λᵢ)) Vᵀ
    svd A = U S Vh:     gA = U (diag(gS) + (skew(Uᵀ gU) S + S skew(Vh gVhᵀ)) / (sⱼ² − sᵢ²)) Vh
                        plus the parts of gU (gVh) outside U's (Vh's) span for a tall (wide) A
"""
import collections

import numpy as np

from ..autograd import ArrayFunction as Function
from ..ops_shape import narrow
from ._common import (LinAlgError, accepts_out, float_matrix, mT, mt, pack, svd_of, unpack,
                      unpack_array)

QRResult = collections.namedtuple("qr", ["Q", "R"])
QRResult.__doc__ = "Q and R of qr (torch.return_types.qr)."
EighResult = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])
EighResult.__doc__ = "The eigenvalues (ascending) and eigenvectors of eigh."
SVDResult = collections.namedtuple("svd", ["U", "S", "Vh"])
SVDResult.__doc__ = "U, S and Vh of svd (torch.return_types.linalg_svd)."


# ---- cholesky -----------------------------------------------------------------------------------

class Cholesky(Function):
    """The lower-triangular L with A = L Lᵀ (A's lower triangle is read)."""

    @staticmethod
    def forward(ctx, a):
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.cholesky: the factorization could not be completed "
                              "because the input A (or one of the batch) is not positive "
                              "definite") from None
        ctx.save_for_backward(low)
        return low

    @staticmethod
    def backward(ctx, g):  # gA = L⁻ᵀ Φ(Lᵀ gL) L⁻¹, symmetric
        low, = ctx.saved_tensors
        p = np.tril(mt(low) @ g)
        p = 0.5 * (p + mt(np.tril(p, -1)))  # the symmetric matrix whose Φ is tril(Lᵀ gL)
        low_inv = np.linalg.inv(low)
        return mt(low_inv) @ p @ low_inv


@accepts_out
def cholesky(A, *, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix of A: lower-triangular
    L with A = L Lᵀ, or Lᵀ with upper=True (torch.linalg.cholesky). Reads A's lower triangle;
    a matrix that is not positive definite raises LinAlgError."""
    low = Cholesky.apply(float_matrix(A, "A", "linalg.cholesky", square=True))
    return mT(low) if upper else low


# ---- qr -----------------------------------------------------------------------------------------

class QR(Function):
    """Q and R packed: A = QR, Q with orthonormal columns, R upper triangular."""

    @staticmethod
    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.save_for_backward(a, q, r)
        ctx.mode = mode
        return pack(q, r, batch=a.shape[:-2])

    @staticmethod
    def backward(ctx, g):
        a, q, r = ctx.saved_tensors
        m, n = a.shape[-2:]
        gq, gr = unpack_array(g, [q.shape[-2:], r.shape[-2:]])
        if ctx.mode == "r":  # as in PyTorch: the derivative needs the Q mode='r' leaves out
            raise RuntimeError("linalg.qr: the derivative of R depends on Q, which is not "
                               "returned with mode='r'; use mode='reduced' to differentiate")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when "
                               "mode='complete' and A has more rows than columns")
        if m >= n:
            return _qr_backward_tall(q, r, gq, gr), None
        # a wide A = [X | Y] with R = [U | V]: X = QU is a square QR, Y = QV
        u, gu, gv = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
        y = a[..., :, m:]
        gx = _qr_backward_tall(q, u, gq + y @ mt(gv), gu)
        return np.concatenate([gx, q @ gv], axis=-1), None


def _qr_backward_tall(q, r, gq, gr):
    """gA of A = QR for m ≥ n: (gQ + Q copyltu(M)) R⁻ᵀ with M = R gRᵀ − gQᵀ Q."""
    m = r @ mt(gr) - mt(gq) @ q
    copyltu = np.tril(m) + mt(np.tril(m, -1))
    b = gq + q @ copyltu
    # b R⁻ᵀ solved rather than inverted: R is triangular and may be ill-conditioned
    return mt(np.linalg.solve(r, mt(b)))


def qr(A, mode="reduced"):
    """(Q, R) with A = QR (torch.linalg.qr): mode 'reduced' (Q is m×k, R k×n, k = min(m, n)),
    'complete' (Q m×m, R m×n) or 'r' (R only, Q an empty tensor). Signs follow LAPACK's, as
    PyTorch's do."""
    a = float_matrix(A, "A", "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = a.shape[-2:]
    k = m if mode == "complete" else min(m, n)
    packed = QR.apply(a, mode)
    q, r = unpack(packed, [(m, k), (k, n)])
    if mode == "r":
        from ..factory import empty
        return QRResult(empty(0, dtype=a.dtype), r)
    return QRResult(q, r)


# ---- eigh ---------------------------------------------------------------------------------------

class Eigh(Function):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, packed."""

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return pack(w, v, batch=a.shape[:-2])

    @staticmethod
    def backward(ctx, g):  # gA = V (diag(gΛ) + ½ skew(Vᵀ gV) / (λⱼ − λᵢ)) Vᵀ
        w, v = ctx.saved_tensors
        n = w.shape[-1]
        gw, gv = unpack_array(g, [(n,), (n, n)])
        inner = np.zeros(v.shape, dtype=v.dtype)
        if gv.any():  # eigvalsh: no eigenvector gradient, and no division by repeated λ
            vtgv = mt(v) @ gv
            gap = w[..., None, :] - w[..., :, None]
            idx = np.arange(n)
            gap[..., idx, idx] = 1
            inner = 0.5 * (vtgv - mt(vtgv)) / gap
        inner[..., np.arange(n), np.arange(n)] = gw
        return v @ inner @ mt(v), None


def eigh(A, UPLO="L"):
    """(eigenvalues, eigenvectors) of each symmetric matrix of A, eigenvalues ascending
    (torch.linalg.eigh); only the triangle UPLO ('L' or 'U') is read. The eigenvectors' signs
    are LAPACK's, so they may differ from PyTorch's by a sign per column."""
    a = float_matrix(A, "A", "linalg.eigh", square=True)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    n = a.shape[-1]
    w, v = unpack(Eigh.apply(a, UPLO), [(n,), (n, n)])
    return EighResult(w, v)


@accepts_out
def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric matrix of A, ascending (torch.linalg.eigvalsh)."""
    a = float_matrix(A, "A", "linalg.eigvalsh", square=True)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigvalsh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return narrow(Eigh.apply(a, UPLO), -1, 0, a.shape[-1])


# ---- svd ----------------------------------------------------------------------------------------

class SVD(Function):
    """U, S and Vh with A = U diag(S) Vh, packed; S descending."""

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = svd_of(a, "linalg.svd", full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return pack(u, s, vh, batch=a.shape[:-2])

    @staticmethod
    def backward(ctx, g):
        u, s, vh = ctx.saved_tensors
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        gu, gs, gvh = unpack_array(g, [u.shape[-2:], (k,), vh.shape[-2:]])
        # full_matrices: the extra columns of U (rows of Vh) are arbitrary, the gradient is
        # that of the reduced factorization, as in PyTorch
        u, gu, vh, gvh = u[..., :, :k], gu[..., :, :k], vh[..., :k, :], gvh[..., :k, :]
        idx = np.arange(k)
        if not gu.any() and not gvh.any():  # svdvals: no division by repeated s
            inner = np.zeros(s.shape + (k,), dtype=s.dtype)
            inner[..., idx, idx] = gs
            return u @ inner @ vh, None
        utgu = mt(u) @ gu
        vhgv = vh @ mt(gvh)
        inner = (utgu - mt(utgu)) * s[..., None, :] + s[..., :, None] * (vhgv - mt(vhgv))
        s2 = s * s
        gap = s2[..., None, :] - s2[..., :, None]
        gap[..., idx, idx] = 1
        inner = inner / gap
        inner[..., idx, idx] += gs
        if m > k:  # gU's part outside U's columns: (I − UUᵀ) gU S⁻¹
            gus = gu / s[..., None, :]
            ga = u @ inner + gus - u @ (mt(u) @ gus)
            return ga @ vh, None
        if n > k:  # gVh's part outside Vh's rows: S⁻¹ gVh (I − VhᵀVh)
            sgvh = gvh / s[..., :, None]
            ga = inner @ vh + sgvh - (sgvh @ mt(vh)) @ vh
            return u @ ga, None
        return u @ inner @ vh, None


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending (torch.linalg.svd): U is m×m and Vh
    n×n with full_matrices, else m×k and k×n (k = min(m, n)). The singular vectors' signs are
    LAPACK's, so they may differ from PyTorch's by a sign per pair; the gradient is defined
    when the singular values are distinct (and nonzero for a non-square A)."""
    a = float_matrix(A, "A", "linalg.svd")
    m, n = a.shape[-2:]
    k = min(m, n)
    um, vn = (m, n) if full_matrices else (k, k)
    u, s, vh = unpack(SVD.apply(a, bool(full_matrices)), [(m, um), (k,), (vn, n)])
    return SVDResult(u, s, vh)


@accepts_out
def svdvals(A):
    """The singular values of each matrix of A, descending (torch.linalg.svdvals)."""
    a = float_matrix(A, "A", "linalg.svdvals")
    m, n = a.shape[-2:]
    k = min(m, n)
    return unpack(SVD.apply(a, False), [(m, k), (k,), (k, n)])[1]
