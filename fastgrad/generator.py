"""Generator: a seedable source of random numbers, as torch.Generator.

Samplers, DataLoader shuffling and random_split take one through `generator=` so that a data
order can be repeated without touching the process-wide seed (fastgrad.manual_seed).
"""
import numbers

import numpy as np

# torch.Generator() starts from this seed too, so an unseeded Generator is still repeatable.
DEFAULT_SEED = 67280421310721


class Generator:
    """A random generator for the CPU (PyTorch's torch.Generator): manual_seed(n) returns self,
    so `Generator().manual_seed(42)` reads as in PyTorch. Draws come from NumPy's PCG64."""

    def __init__(self, device="cpu"):
        if str(device).split(":")[0] != "cpu":
            raise ValueError(f"Generator: fastgrad runs on the CPU, so device must be 'cpu', "
                             f"not {device!r}")
        self.device = "cpu"
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        """Restart the stream from `seed` (a non-negative int); returns self."""
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"Generator.manual_seed expects an int, got {type(seed).__name__}")
        if seed < 0:
            raise ValueError(f"Generator.manual_seed expects a non-negative seed, got {seed}")
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy) % 2**63)
        return self._seed

    def initial_seed(self):
        """The seed the stream was last started from."""
        return self._seed

    def get_state(self):
        """The generator's state, for set_state (a dict, not PyTorch's byte tensor)."""
        return {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}

    def set_state(self, state):
        """Restore a state returned by get_state."""
        self._seed = state["seed"]
        self._rng.bit_generator.state = state["bit_generator"]
        return self


def numpy_generator(generator):
    """The np.random.Generator behind `generator`: a fastgrad Generator, a NumPy Generator, or
    None for fastgrad's process-wide one (the one manual_seed seeds)."""
    if generator is None:
        from . import random as _random
        return _random.generator()
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a fastgrad.Generator, a numpy.random.Generator or None, "
                    f"got {type(generator).__name__}")
