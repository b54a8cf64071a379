"""DistributedDataParallel under mpiexec: N ranks train the model one process trains."""
import os

import numpy as np
import pytest
from mpi_launch import results, run
from conftest import torch_or_skip
from mpi_worker import make_problem

import fastgrad as fg
from fastgrad import nn, optim
from fastgrad.distributed import DistributedSampler

# Measured: 2 and 4 ranks against 1 process after 24 SGD steps with momentum differ by at most
# 1.2e-7 in float32 (two units in the last place of the largest parameters, ~0.55) and 2.2e-16
# in float64: adding a batch's gradient up in N parts instead of one GEMM changes the rounding.
FLOAT32_BOUND = 1e-6
FLOAT64_BOUND = 1e-12


def train_one_process(dtype, global_batch=8, epochs=2):
    """The reference: the same problem, the same global batches, no DDP, no MPI."""
    X, y, model = make_problem(dtype)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    sampler = DistributedSampler(X, num_replicas=1, rank=0, shuffle=True, seed=0)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        idx = sampler.order()
        for start in range(0, len(idx), global_batch):
            b = idx[start:start + global_batch]
            opt.zero_grad()
            loss_fn(model(X[b]), y[b]).backward()
            opt.step()
    return {k: np.array(v) for k, v in model.state_dict().items()}


def trained(tmp_path, case, n):
    out = tmp_path / f"{case}-{n}"
    out.mkdir()
    run(case, n, out)
    return results(out, n)


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("dtype, bound", [("float32", FLOAT32_BOUND), ("float64", FLOAT64_BOUND)])
def test_n_ranks_train_the_model_of_one_process(tmp_path, n, dtype, bound):
    case = "train32" if dtype == "float32" else "train64"
    ranks = trained(tmp_path, case, n)
    reference = train_one_process(dtype)
    start = {k: np.array(v) for k, v in make_problem(dtype)[2].state_dict().items()}
    for params in ranks:
        for key, ref in reference.items():
            assert params[key].dtype == np.dtype(dtype)
            assert np.abs(ref - start[key]).max() > 0.05  # training moved it
            np.testing.assert_allclose(params[key], ref, rtol=0, atol=bound, err_msg=key)
    for params in ranks[1:]:  # the replicas are identical, to the bit
        for key in reference:
            np.testing.assert_array_equal(params[key], ranks[0][key])


@pytest.mark.parametrize("n", [2, pytest.param(4, marks=pytest.mark.slow)])
def test_same_bits_run_to_run(tmp_path, n):
    first = trained(tmp_path, "train32", n)
    (tmp_path / "again").mkdir()
    second = trained(tmp_path / "again", "train32", n)
    for a, b in zip(first, second):
        for key in a:
            assert a[key].tobytes() == b[key].tobytes(), key


def torch_mlp(torch, state):
    model = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    model = model.double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model


def torch_grads(torch, model, X, y, batches):
    """PyTorch's gradients of the sum of the batches' mean cross-entropies."""
    model.zero_grad()
    for b in batches:
        torch.nn.functional.cross_entropy(model(torch.from_numpy(X[b])),
                                          torch.from_numpy(y[b])).backward()
    return {k: p.grad.numpy().copy() for k, p in model.named_parameters()}


@pytest.mark.parametrize("n", [2, 4])
def test_no_sync_accumulates_locally_then_averages_once(tmp_path, n):
    torch = torch_or_skip()
    ranks = trained(tmp_path, "no_sync", n)
    X, y, _ = make_problem("float64")
    init = {k[5:]: v for k, v in ranks[0].items() if k.startswith("init.")}
    model = torch_mlp(torch, init)
    batches = [[slice(r * 12 + 4 * k, r * 12 + 4 * k + 4) for k in range(3)] for r in range(n)]
    local = [torch_grads(torch, model, X, y, batches[r][:2]) for r in range(n)]
    total = [torch_grads(torch, model, X, y, batches[r]) for r in range(n)]
    for r, res in enumerate(ranks):
        for key in local[0]:
            # inside no_sync: this rank's own two batches, untouched by the others
            np.testing.assert_allclose(res[f"local.{key}"],
                                       local[r][key], rtol=1e-12, atol=1e-14)
            mean = sum(t[key] for t in total) / n
            np.testing.assert_allclose(res[f"synced.{key}"], mean, rtol=1e-12, atol=1e-14)
    assert not np.array_equal(ranks[0]["local.0.weight"], ranks[1]["local.0.weight"])


@pytest.mark.parametrize("n", [2, 4])
def test_parameters_used_by_some_ranks_average_and_unused_stay_none(tmp_path, n):
    torch = torch_or_skip()
    ranks = trained(tmp_path, "unused", n)
    init = {k[5:]: torch.from_numpy(v) for k, v in ranks[0].items() if k.startswith("init.")}
    a, b = torch.nn.Linear(4, 3).double(), torch.nn.Linear(3, 1).double()
    a.load_state_dict({"weight": init["a.weight"], "bias": init["a.bias"]})
    b.load_state_dict({"weight": init["b.weight"], "bias": init["b.bias"]})
    for r, res in enumerate(ranks):
        h = a(torch.from_numpy(res["x"]))
        (h.sum() + b(h).sum() if r == 0 else h.sum()).backward()
    for res in ranks:
        assert bool(res["c_grad_is_none"])
        assert "convert the model (.double(), ...) before wrapping" in str(res["dtype_error"])
        for key, p in (("a.weight", a.weight), ("a.bias", a.bias), ("b.weight", b.weight),
                       ("b.bias", b.bias)):
            np.testing.assert_allclose(res[f"grad.{key}"], p.grad.numpy() / n, rtol=1e-12,
                                       atol=1e-14, err_msg=key)


def test_buffers_come_from_rank_0_before_each_training_forward(tmp_path):
    n = 2
    ranks = trained(tmp_path, "buffers", n)
    W = ranks[0]["init.0.weight"]
    b = ranks[0]["init.0.bias"]

    def batch_mean(x):  # what BatchNorm1d sees: the Linear layer's output, mean over rows
        return (x @ W.T + b).mean(axis=0)

    for rank, res in enumerate(ranks):
        # step 0 starts from zeros on every rank and moves 10 % toward the rank's own batch
        np.testing.assert_allclose(res["running_mean0"], 0.1 * batch_mean(res["x0"]),
                                   rtol=1e-12, atol=1e-15)
        # step 1 starts from rank 0's statistics, not this rank's
        expected = 0.9 * ranks[0]["running_mean0"] + 0.1 * batch_mean(res["x1"])
        np.testing.assert_allclose(res["running_mean1"], expected, rtol=1e-12, atol=1e-15)
    assert not np.allclose(ranks[0]["running_mean0"], ranks[1]["running_mean0"])
