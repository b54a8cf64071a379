"""_kernels.erf, behind fastgrad.erf: values against Python's math.erf (float64 exactly as the C
library gives them, float32 to its rounding) and the binding's checks of its arguments."""
import math

import numpy as np
import pytest

from fastgrad import _kernels as K

SWEEP = np.concatenate([np.linspace(-7, 7, 4001), [0.0, -0.0, 1e-300, -1e-30, 3e-8, np.inf,
                                                     -np.inf, np.nan]])


def reference(x):
    return np.array([math.erf(v) for v in np.asarray(x, np.float64).ravel()]).reshape(np.shape(x))


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-15), (np.float32, 2e-7)])
def test_erf_matches_math_erf(dtype, tol):
    x = SWEEP.astype(dtype).reshape(-1, 1)
    y = np.full(x.shape, 5.0, dtype)
    K.erf(x, y)
    np.testing.assert_allclose(y, reference(x), rtol=tol, atol=tol)
    negative_zero = 4001 + 1  # SWEEP's -0.0
    assert x[negative_zero, 0] == 0 and np.signbit(x[negative_zero, 0])
    assert y[negative_zero, 0] == 0 and np.signbit(y[negative_zero, 0])  # erf(-0) = -0


def test_erf_in_place_and_empty():
    x = np.array([0.5, -1.0, 2.0])
    want = reference(x)
    K.erf(x, x)
    np.testing.assert_allclose(x, want, rtol=1e-15)
    K.erf(np.empty((0, 3)), np.empty((0, 3)))  # nothing to do, nothing read


@pytest.mark.parametrize("x, y, error, words", [
    (np.arange(3), np.empty(3), TypeError, "x must have dtype"),
    (np.ones(3), np.empty(3, np.float32), TypeError, "dtype"),
    (np.ones(3), np.empty(4), ValueError, "same number of elements"),
    (np.ones(6)[::2], np.empty(3), ValueError, "C-contiguous"),
    ([1.0, 2.0], np.empty(2), TypeError, "numpy.ndarray"),
])
def test_erf_refuses_bad_arguments(x, y, error, words):
    before = y.copy()
    with pytest.raises(error, match=words):
        K.erf(x, y)
    np.testing.assert_array_equal(y, before)  # the output untouched


def test_erf_refuses_a_read_only_output():
    y = np.zeros(3)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        K.erf(np.ones(3), y)
