"""pytest-benchmark: fastgrad's GEMM and fused dense forward against NumPy, per shape, dtype
and thread count.

    python -m pytest benchmarks/bench_gemm.py --benchmark-only -p no:cacheprovider \\
        --benchmark-group-by=param:shape,param:dtype,param:threads

NumPy must run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, which only works in a process
started without them; the NumPy cases here therefore skip when either is set. For the
side-by-side table with ratios (NumPy in its own clean process), run benchmarks/run_gemm.py.
"""
import os

import numpy as np
import pytest

from fastgrad import _kernels as K

SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (128, 784, 512),
          (784, 128, 512), (512, 1024, 2048), (512, 2048, 2048), (2048, 512, 2048),
          (64, 784, 128)]  # m x k x n
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@pytest.fixture
def limit_threads():
    """Sets fastgrad's and NumPy's BLAS thread counts for one benchmark, then restores them."""
    from threadpoolctl import threadpool_limits
    before = K.get_num_threads()
    ctl = []

    def set_to(n):
        K.set_num_threads(n)
        ctl.append(threadpool_limits(limits=n, user_api="blas"))

    yield set_to
    for c in ctl:
        c.unregister()
    K.set_num_threads(before)


def _operands(m, k, n, dtype):
    r = np.random.default_rng(0)
    return (r.standard_normal((m, k)).astype(dtype), r.standard_normal((k, n)).astype(dtype),
            np.empty((m, n), dtype))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [f"{m}x{k}x{n}" for m, k, n in SHAPES])
@pytest.mark.parametrize("lib", ["fastgrad", "numpy"])
def test_gemm(benchmark, limit_threads, lib, shape, dtype, threads):
    if lib == "numpy" and any(v in os.environ for v in OPENBLAS_VARS):
        pytest.skip("unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for the NumPy baseline")
    m, k, n = map(int, shape.split("x"))
    a, b, c = _operands(m, k, n, dtype)
    limit_threads(threads)
    fn = (lambda: K.gemm(a, b, c)) if lib == "fastgrad" else (lambda: np.matmul(a, b, out=c))
    benchmark.extra_info["gflop"] = 2e-9 * m * n * k
    benchmark(fn)
    np.testing.assert_allclose(c, a.astype(np.float64) @ b, rtol=1e-3 * (dtype == "float32")
                               + 1e-10, atol=1e-3 * np.sqrt(k))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("lib", ["fastgrad", "numpy"])
def test_dense_forward_relu(benchmark, limit_threads, lib, threads):
    """Linear + bias + ReLU at 128x784x512: one fused call against NumPy's three ops."""
    if lib == "numpy" and any(v in os.environ for v in OPENBLAS_VARS):
        pytest.skip("unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for the NumPy baseline")
    r = np.random.default_rng(0)
    x = r.standard_normal((128, 784)).astype(np.float32)
    w = r.standard_normal((512, 784)).astype(np.float32)
    b = r.standard_normal(512).astype(np.float32)
    y = np.empty((128, 512), np.float32)
    limit_threads(threads)
    if lib == "fastgrad":
        fn = lambda: K.dense_forward(x, w, b, K.ACT_RELU, 0.0, None, y)
    else:
        def fn():
            np.matmul(x, w.T, out=y)
            np.add(y, b, out=y)
            np.maximum(y, 0, out=y)
    benchmark(fn)
    np.testing.assert_allclose(y, np.maximum(x.astype(np.float64) @ w.T + b, 0), atol=1e-3)
