"""pytest-benchmark: fastgrad's GEMM and fused dense forward beside PyTorch and NumPy. Each
group is one case (shape, dtype, thread count) holding the three libraries side by side.

    pytest benchmarks/bench_gemm.py                      # quick: 3 shapes, float32, 1 thread
    FASTGRAD_BENCH_FULL=1 pytest benchmarks/bench_gemm.py   # 11 shapes x 2 dtypes x 1, 2 threads

NumPy must run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, which only works in a process
started without them; the NumPy cases here therefore skip when either is set. For the
side-by-side table with ratios (NumPy in its own clean process), run benchmarks/run_gemm.py.
"""
import os

import numpy as np
import pytest

from fastgrad import _kernels as K
from mode import pick, threads_label

SHAPES = pick(  # m x k x n
    quick=[(512, 512, 512), (128, 784, 512), (64, 784, 128)],
    full=[(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (128, 784, 512),
          (784, 128, 512), (512, 1024, 2048), (512, 2048, 2048), (2048, 512, 2048),
          (64, 784, 128), (256, 2048, 2048), (128, 2048, 1024)])
DTYPES = pick(quick=["float32"], full=["float32", "float64"])
THREADS = pick(quick=[1], full=[1, 2])
LIBS = ["fastgrad", "torch", "numpy"]
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@pytest.fixture
def limit_threads():
    """Sets fastgrad's, PyTorch's and NumPy's BLAS thread counts for one benchmark, then
    restores them."""
    from threadpoolctl import threadpool_limits
    before = K.get_num_threads()
    ctl = []

    def set_to(lib, n):
        K.set_num_threads(n)
        ctl.append(threadpool_limits(limits=n))  # every BLAS and OpenMP runtime loaded
        if lib == "torch":
            import torch
            ctl.append(torch.get_num_threads())
            torch.set_num_threads(n)

    yield set_to
    for c in ctl:
        if isinstance(c, int):
            import torch
            torch.set_num_threads(c)
        else:
            c.unregister()
    K.set_num_threads(before)


def _skip_unavailable(lib):
    if lib == "numpy" and any(v in os.environ for v in OPENBLAS_VARS):
        pytest.skip("unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for the NumPy baseline")
    if lib == "torch":
        pytest.importorskip("torch")


def _operands(m, k, n, dtype):
    r = np.random.default_rng(0)
    return (r.standard_normal((m, k)).astype(dtype), r.standard_normal((k, n)).astype(dtype),
            np.empty((m, n), dtype))


def _matmul(lib, a, b, c):
    if lib == "fastgrad":
        return lambda: K.gemm(a, b, c)
    if lib == "numpy":
        return lambda: np.matmul(a, b, out=c)
    import torch
    ta, tb, tc = (torch.from_numpy(x) for x in (a, b, c))  # tc shares c's memory
    return lambda: torch.matmul(ta, tb, out=tc)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [f"{m}x{k}x{n}" for m, k, n in SHAPES])
def test_gemm(benchmark, limit_threads, shape, dtype, threads, lib):
    _skip_unavailable(lib)
    m, k, n = map(int, shape.split("x"))
    a, b, c = _operands(m, k, n, dtype)
    limit_threads(lib, threads)
    benchmark.group = f"GEMM {shape} (m x k x n) {dtype}, {threads_label(threads)}"
    benchmark.extra_info["gflop"] = 2e-9 * m * n * k
    benchmark(_matmul(lib, a, b, c))
    np.testing.assert_allclose(c, a.astype(np.float64) @ b, rtol=1e-3 * (dtype == "float32")
                               + 1e-10, atol=1e-3 * np.sqrt(k))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("threads", THREADS)
def test_dense_forward_relu(benchmark, limit_threads, threads, lib):
    """Linear + bias + ReLU at 128x784x512: one fused call against three ops in the peers."""
    _skip_unavailable(lib)
    r = np.random.default_rng(0)
    x = r.standard_normal((128, 784)).astype(np.float32)
    w = r.standard_normal((512, 784)).astype(np.float32)
    b = r.standard_normal(512).astype(np.float32)
    y = np.empty((128, 512), np.float32)
    limit_threads(lib, threads)
    if lib == "fastgrad":
        fn = lambda: K.dense_forward(x, w, b, K.ACT_RELU, 0.0, None, y)
    elif lib == "numpy":
        def fn():
            np.matmul(x, w.T, out=y)
            np.add(y, b, out=y)
            np.maximum(y, 0, out=y)
    else:
        import torch
        tx, tw, tb, ty = (torch.from_numpy(v) for v in (x, w, b, y))

        def fn():
            torch.addmm(tb, tx, tw.T, out=ty)
            torch.relu_(ty)
    benchmark.group = f"dense forward + bias + ReLU, 128x784x512 float32, {threads_label(threads)}"
    benchmark(fn)
    np.testing.assert_allclose(y, np.maximum(x.astype(np.float64) @ w.T + b, 0), atol=1e-3)
