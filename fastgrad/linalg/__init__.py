"""fastgrad.linalg: PyTorch's torch.linalg for float32 and float64 tensors, batched over
leading dimensions, with gradients where PyTorch has them.

NumPy's LAPACK computes the factorizations (LU is written here); each op's local derivative
sits beside its forward (inverse.py: det, slogdet, inv, solve; decompositions.py: cholesky, qr,
eigh, svd; lu.py: lu, lu_factor, lu_solve; derived.py: pinv and the ops built from others;
more.py: solve_triangular, matrix_exp and the smaller ones; checked.py: the *_ex variants). A
singular or indefinite matrix raises LinAlgError. The functions of one output take PyTorch's
out=.
"""
from ._common import LinAlgError
from .checked import cholesky_ex, inv_ex, solve_ex
from .decompositions import cholesky, eigh, eigvalsh, qr, svd, svdvals
from .derived import (cross, lstsq, matrix_norm, matrix_rank, multi_dot, norm, pinv,
                      vector_norm)
from .inverse import det, inv, matrix_power, slogdet, solve
from .lu import lu, lu_factor, lu_solve
from .more import (cond, diagonal, matmul, matrix_exp, solve_triangular, tensorinv, tensorsolve,
                   vander, vecdot)

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "lstsq",
           "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "vector_norm", "cond", "diagonal", "matmul",
           "matrix_exp", "solve_triangular", "tensorinv", "tensorsolve", "vander", "vecdot",
           "cholesky_ex", "inv_ex", "solve_ex", "lu", "lu_factor", "lu_solve"]
