"""The one process-wide random generator behind every random choice fastgrad makes.

Initialisation, dropout masks and shuffling all draw from `generator()`, so `manual_seed(n)`
makes a whole run repeatable.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed fastgrad's process-wide generator (as torch.manual_seed does for PyTorch)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed expects a non-negative seed, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    """The current process-wide np.random.Generator."""
    return _generator
