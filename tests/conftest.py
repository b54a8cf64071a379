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
