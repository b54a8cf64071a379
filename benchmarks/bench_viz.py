"""fastgrad.viz: what drawing and explaining cost.

    pytest benchmarks/bench_viz.py

draw: a chain of 300 ops (drawn whole) beside one of 100,000 (drawn to 300 nodes and counted
beyond), in one run, so their ratio is the price of summarising a graph too large to draw.
explain: explaining an MLP's loss beside the backward() it mirrors, on the same graph.
Single-threaded (FASTGRAD_BENCH_THREADS, default 1).
"""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn

pytest.importorskip("graphviz")
from fastgrad.viz import draw, explain  # noqa: E402


def chain(n):
    x = fg.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    return y


@pytest.mark.benchmark(group="draw: 300 ops whole, 100,000 summarised")
@pytest.mark.parametrize("ops", [300, 100_000])
def test_draw_chain(benchmark, ops, step_threads):
    root = chain(ops)
    dot = benchmark(draw, root)
    assert dot.source.count("[label=") >= 300


@pytest.fixture
def mlp_loss(step_threads):
    fg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    rng = np.random.default_rng(0)
    X = fg.tensor(rng.standard_normal((32, 64)).astype(np.float32))
    y = fg.tensor(rng.integers(0, 10, 32))
    return nn.functional.cross_entropy(model(X), y), dict(model.named_parameters())


@pytest.mark.benchmark(group="explain beside backward: 64-128-10 MLP, batch 32")
def test_explain_mlp(benchmark, mlp_loss):
    loss, params = mlp_loss
    e = benchmark(explain, loss, params)
    assert len(e.steps) == 7  # loss, then each layer: its input and W and b (x wants none)


@pytest.mark.benchmark(group="explain beside backward: 64-128-10 MLP, batch 32")
def test_backward_mlp(benchmark, mlp_loss):
    loss, params = mlp_loss
    benchmark(loss.backward, retain_graph=True)
    assert params["0.weight"].grad is not None
