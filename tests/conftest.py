"""Shared test helpers: seeded data, a float64 reference, and an optional torch."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def torch_or_skip():
    """PyTorch, or a clean skip where it is not installed."""
    return pytest.importorskip("torch")
