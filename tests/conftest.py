"""Shared test helpers: seeded data, a float64 reference, and an optional torch."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


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
