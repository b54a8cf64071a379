"""float32 tanh and sigmoid run on fastgrad's own vectorised exp (libm's expf stops the loops
from vectorising): dense sweeps against float64 libm, with the edges (0, -0, inf, NaN, tails)."""
import numpy as np
import pytest

from fastgrad import _kernels

SWEEP = np.concatenate([np.linspace(-87, 20, 400001), np.geomspace(1e-8, 1, 20000),
                        -np.geomspace(1e-8, 1, 20000)]).astype(np.float32)


@pytest.mark.parametrize("name,ref", [
    ("tanh", np.tanh),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
])
def test_relative_error_is_a_few_ulp(name, ref):
    y = np.empty_like(SWEEP)
    _kernels.act_forward(_kernels.ACTIVATIONS[name], 0.0, SWEEP, y)
    exact = ref(SWEEP.astype(np.float64))
    rel = np.abs(y - exact) / np.abs(exact)
    assert rel.max() < 4e-7, (name, SWEEP[rel.argmax()], rel.max())  # 2^-24 is 6e-8


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -100.0, 100.0], np.float32)
    t, s = np.empty_like(x), np.empty_like(x)
    _kernels.act_forward(_kernels.ACTIVATIONS["tanh"], 0.0, x, t)
    _kernels.act_forward(_kernels.ACTIVATIONS["sigmoid"], 0.0, x, s)
    assert np.array_equal(t[:4], [0, 0, 1, -1]) and np.signbit(t[1]) and np.isnan(t[4])
    assert t[5] == np.float32(1e-40) and t[6] == -1 and t[7] == 1
    assert np.array_equal(s[[0, 1, 2, 3, 7]], [0.5, 0.5, 1, 0, 1]) and np.isnan(s[4])
    assert s[6] == 0  # below e^-87.3 the float exp flushes to 0 (libm: 3.8e-44)
