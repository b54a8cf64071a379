"""The same training step written two ways a PyTorch user writes a model: nn.Sequential, and
a custom nn.Module whose forward calls each layer and F.relu / torch.tanh itself.

    pytest benchmarks/bench_module_style.py     # FASTGRAD_BENCH_FULL=1: more rounds

In fastgrad both styles record one dense-stack graph node for the layers (Sequential by
its plan, a custom forward by fusing each step onto the node before it), so their backward
passes cost the same; the custom forward still pays the Python of each call it makes, which
matters for tiny networks and fades once the matrix products dominate (README, "Speed").
PyTorch, when it imports, runs beside it for scale; both are limited to
FASTGRAD_BENCH_THREADS (default 1) threads.
"""
import pytest

import peers as bench
from mode import pick, threads_label

WORKLOADS = ("T", "S")


def custom_module_step(w, nn, optim, activation, seed, x, y):
    """A step of workload w on the batch (x, y) with the model as a custom Module, in the
    framework whose nn and optim modules are given (fastgrad's or PyTorch's: the code is the
    same)."""

    class MLP(nn.Module):
        def __init__(self, sizes):
            super().__init__()
            self.layers = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                setattr(self, f"fc{i}", nn.Linear(a, b))
                self.layers.append(getattr(self, f"fc{i}"))

        def forward(self, x):
            for layer in self.layers[:-1]:
                x = activation(layer(x))
            return self.layers[-1](x)

    seed(0)
    model = MLP(w.sizes)
    opt = (optim.Adam if w.optimizer == "adam" else optim.SGD)(model.parameters(), lr=w.lr)
    loss_fn = nn.CrossEntropyLoss() if w.loss == "ce" else nn.MSELoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def fastgrad_module_step(w):
    import fastgrad as fg
    from fastgrad import nn, optim
    from fastgrad.nn import functional as F

    activation = F.relu if w.activation == "relu" else F.tanh
    return custom_module_step(w, nn, optim, activation, fg.manual_seed, *bench.batch_for(w))


def torch_module_step(w):
    import torch

    activation = torch.relu if w.activation == "relu" else torch.tanh
    x, y = (torch.from_numpy(a) for a in bench.batch_for(w))
    return custom_module_step(w, torch.nn, torch.optim, activation, torch.manual_seed, x, y)


STEPS = {("fastgrad", "sequential"): bench.fastgrad_step,
         ("fastgrad", "module"): fastgrad_module_step,
         ("torch", "sequential"): bench.torch_step,
         ("torch", "module"): torch_module_step}


@pytest.mark.parametrize("style", ["sequential", "module"])
@pytest.mark.parametrize("framework", ["fastgrad", "torch"])
@pytest.mark.parametrize("workload", WORKLOADS)
def test_train_step_style(benchmark, step_threads, workload, framework, style):
    if framework == "torch":
        torch = pytest.importorskip("torch")
        torch.set_num_threads(step_threads)
    step = STEPS[framework, style](bench.WORKLOADS[workload])
    benchmark.group = f"training step {workload} by model style, {threads_label(step_threads)}"
    benchmark.pedantic(step, rounds=pick(quick=50, full=300), iterations=1, warmup_rounds=20)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_both_styles_train_the_same_model(workload):
    """Like for like: from the same seed, three steps of either style give the same weights."""
    import inspect

    import numpy as np

    weights = []
    for make_step in (bench.fastgrad_step, fastgrad_module_step):
        step = make_step(bench.WORKLOADS[workload])
        for _ in range(3):
            step()
        opt = inspect.getclosurevars(step).nonlocals["opt"]
        weights.append([p.data for group in opt.param_groups for p in group["params"]])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
