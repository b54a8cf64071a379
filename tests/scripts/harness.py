"""Runs a ported script under PyTorch and under fastgrad, the second with only its imports
changed, and with the same randomness in both.

A port in ports/ is a PyTorch script (`import torch`, `from torch import nn`, ...). For
fastgrad, `fastgrad_source` rewrites its import lines and nothing else. `run` executes a
script as __main__ in a fresh namespace and a scratch directory, capturing what it prints.
With same_randomness, the few random sources the scripts use (randn, rand, nn.Linear's
initialisation, the shuffling samplers, Python's and NumPy's global generators) draw from
one NumPy generator seeded alike in both runs, so the two runs compute the same numbers up to
float32 rounding; without it each library uses its own generator.
"""
import contextlib
import io
import math
import os
import random
import re
import sys
from pathlib import Path
from unittest import mock

import numpy as np

PORTS = Path(__file__).parent / "ports"


def fastgrad_source(source):
    """The script with `torch` replaced by fastgrad on its import lines only."""
    out = []
    for line in source.splitlines():
        stripped = line.strip()
        indent = line[:len(line) - len(line.lstrip())]
        if stripped == "import torch":
            line = indent + "import fastgrad as torch"
        elif re.match(r"import torch\.[\w.]+ as \w+$", stripped):
            line = indent + stripped.replace("import torch.", "import fastgrad.", 1)
        elif re.match(r"from torch(\.[\w.]+)? import ", stripped):
            line = indent + stripped.replace("from torch", "from fastgrad", 1)
        elif stripped.startswith(("import torch", "from torch")):
            raise ValueError(f"harness: no rule for the import line {stripped!r}")
        out.append(line)
    return "\n".join(out) + "\n"


def _numpy_dtype(lib, dtype):
    if dtype is None:
        return np.float32
    if lib.__name__ == "torch":
        return lib.empty(0, dtype=dtype).numpy().dtype
    return np.dtype(dtype)


@contextlib.contextmanager
def same_randomness(lib, seed=0):
    """Random draws of `lib` (torch or fastgrad) from one seeded NumPy generator."""
    rng = np.random.default_rng(seed)

    def shape_of(size):
        if len(size) == 1 and isinstance(size[0], (tuple, list)) or (
                len(size) == 1 and type(size[0]).__name__ == "Size"):
            return tuple(size[0])
        return tuple(size)

    def make(draw):
        def factory(*size, dtype=None, device=None, requires_grad=False, generator=None,
                    out=None, **kwargs):
            values = draw(shape_of(size)).astype(_numpy_dtype(lib, dtype))
            return lib.tensor(values, requires_grad=requires_grad)
        return factory

    def like(draw):
        def factory(t, dtype=None, **kwargs):
            return make(draw)(*tuple(t.shape), dtype=dtype or t.dtype)
        return factory

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
        for p in (self.weight, self.bias):
            if p is not None:
                target = np.asarray(p.detach())
                target[...] = rng.uniform(-bound, bound, target.shape).astype(target.dtype)

    def randint(*args, size=None, dtype=None, device=None, generator=None, requires_grad=False,
                **kwargs):
        low, high = (0, args[0]) if len(args) == 1 else args[:2]
        size = size if size is not None else args[2]
        return lib.tensor(rng.integers(low, high, tuple(size)))

    def permutation(self):
        return rng.permutation(len(self.data_source))

    patches = [mock.patch.object(lib, "randn", make(rng.standard_normal)),
               mock.patch.object(lib, "rand", make(rng.random)),
               mock.patch.object(lib, "randn_like", like(rng.standard_normal)),
               mock.patch.object(lib, "rand_like", like(rng.random)),
               mock.patch.object(lib, "randint", randint),
               mock.patch.object(lib.nn.Linear, "reset_parameters", reset_parameters)]
    if lib.__name__ == "torch":
        import torch.utils.data as tud
        patches.append(mock.patch.object(tud.RandomSampler, "__iter__",
                                         lambda self: iter(permutation(self).tolist())))
    else:
        from fastgrad.utils.data import sampler
        patches.append(mock.patch.object(sampler.RandomSampler, "order", permutation))
    with contextlib.ExitStack() as stack:
        for p in patches:
            stack.enter_context(p)
        yield


def run(name, lib_name, workdir, same_random=True):
    """Runs ports/<name>.py under 'torch' or 'fastgrad' in workdir; returns (printed text,
    the script's global namespace)."""
    path = PORTS / f"{name}.py"
    source = path.read_text()
    if lib_name == "fastgrad":
        source = fastgrad_source(source)
    lib = __import__(lib_name)
    threads = lib.get_num_threads()
    lib.set_num_threads(1)  # small ops: one thread each, so the two runs do not fight for cores
    namespace = {"__name__": "__main__", "__file__": str(path)}
    printed = io.StringIO()
    old_cwd, old_argv, old_path = os.getcwd(), sys.argv, list(sys.path)
    random.seed(0)
    np.random.seed(0)
    try:
        os.chdir(workdir)
        sys.argv = [str(path)]
        sys.path.insert(0, str(PORTS))
        randomness = same_randomness(lib) if same_random else contextlib.nullcontext()
        with randomness, contextlib.redirect_stdout(printed):
            exec(compile(source, str(path), "exec"), namespace)
    finally:
        os.chdir(old_cwd)
        sys.argv, sys.path[:] = old_argv, old_path
        lib.set_num_threads(threads)
    return printed.getvalue(), namespace


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def printed_numbers(text):
    """Every number printed, in order (ints and floats alike)."""
    return [float(x) for x in NUMBER.findall(text)]


def as_array(value):
    """A Tensor of either library (or a number) as a float64 NumPy array."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)
