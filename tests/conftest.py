"""Shared test helpers: seeded data, an optional torch, the GEMM path and thread count a test
forces (restored after it)."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


ISAS = ["avx512", "avx2", "generic"]  # the GEMM dispatch table's entries, best first


@pytest.fixture(params=ISAS)
def isa(request):
    """Runs the test with one GEMM path forced, restoring the one chosen at import after."""
    from fastgrad import _kernels as K

    before = K.isa()
    if not K.set_isa(request.param):
        pytest.skip(f"this CPU does not run {request.param}")
    assert K.isa() == request.param
    yield request.param
    assert K.set_isa(before)


@pytest.fixture
def threads():
    """Restores the thread count a test changes."""
    from fastgrad import _kernels as K

    before = K.get_num_threads()
    yield
    K.set_num_threads(before)


def torch_or_skip():
    """PyTorch, or a clean skip where it is not installed."""
    return pytest.importorskip("torch")


def child_python_env(**extra):
    """(env, cwd) for a child `python -c` that must import the same fastgrad as this session.

    python -c puts its working directory first on sys.path, so a child started in the
    repository would import the source tree (no compiled module in a fresh clone) instead of
    the installed package: start it elsewhere, with the package's parent on PYTHONPATH."""
    import os
    import tempfile

    import fastgrad

    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(fastgrad.__file__)))
    return env, tempfile.gettempdir()


# ---- slow tests: opt-in locally, always in CI ---------------------------------------------------
# Tests over ~5 s (the fuzzers, the wheel build) carry @pytest.mark.slow. A local `pytest` leaves
# them out, so the edit-test loop stays short; `pytest -m slow` runs them (alone), and CI, which
# sets CI=true, runs everything.

def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes over ~5 s; run with -m slow (CI runs it)")


def _runs_slow_tests(config):
    import os

    return bool(os.environ.get("CI")) or "slow" in (config.getoption("markexpr") or "")


def pytest_collection_modifyitems(config, items):
    if _runs_slow_tests(config):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
        config._fastgrad_slow_deselected = len(slow)


def pytest_report_collectionfinish(config):
    n = getattr(config, "_fastgrad_slow_deselected", 0)
    if n:
        return (f"{n} slow tests deselected; run them with `pytest -m slow` "
                "(or set CI=1 to run everything)")


# ---- any layout, any dtype: a kernel must give the answer of a contiguous array ------------

def memory_layouts(x):
    """x (2-d, float64) in several memory layouts; each view holds the same values as x."""
    big = np.zeros((x.shape[0] * 2, x.shape[1] * 3))
    big[::2, ::3] = x
    rev = np.ascontiguousarray(x[::-1, ::-1])
    return {
        "C": np.ascontiguousarray(x),
        "fortran": np.asfortranarray(x),
        "strided-slice": big[::2, ::3],
        "negative-strides": rev[::-1, ::-1],
        "transposed-view": np.ascontiguousarray(x.T).T,
        "float32": x.astype(np.float32),
        "int64": np.rint(x).astype(np.int64),
        "int32-fortran": np.asfortranarray(np.rint(x).astype(np.int32)),
    }


LAYOUTS = list(memory_layouts(np.zeros((2, 2))))
