"""pytest-benchmark: the per-step Python costs outside the dense layers, fastgrad beside
PyTorch eager and NumPy written by hand on the same data: a loss's forward, forward + backward,
and one epoch of a shuffled DataLoader over a TensorDataset (NumPy: a permutation and slices).
Each group holds the three for one case.

    FASTGRAD_NUM_THREADS=1 python -m pytest benchmarks/bench_loss_data.py --benchmark-only \\
        -p no:cacheprovider

Shapes are those of the README workloads: MSE on a (32, 1) regression output, CrossEntropy on
(32, 10) logits with int64 class indices, the digits training split (1347 x 64 float32) in
batches of 32. Both frameworks run one thread; compare within one run (the machine is shared).
"""
import numpy as np
import pytest

FRAMEWORKS = ["fastgrad", "torch", "numpy"]


def _numpy_loss(case):
    """(forward, forward + backward) of the loss written out in NumPy, gradient included."""
    def mse(x, t):
        return np.mean((x - t) ** 2)

    def mse_grad(x, t):
        d = x - t
        return np.mean(d * d), d * (2.0 / d.size)

    def ce(x, t):
        z = x - x.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -logp[np.arange(len(t)), t].mean()

    def ce_grad(x, t):
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(t)), t]).mean()
        p[np.arange(len(t)), t] -= 1.0
        return loss, p / len(t)

    return (mse, mse_grad) if case == "mse" else (ce, ce_grad)


def _loss_case(case):
    r = np.random.default_rng(0)
    if case == "mse":
        return r.standard_normal((32, 1)).astype(np.float32), \
            r.standard_normal((32, 1)).astype(np.float32)
    return r.standard_normal((32, 10)).astype(np.float32), r.integers(0, 10, 32)


def _loss_fn(framework, case):
    """(loss module, input leaf, target) in the framework's own types."""
    x, t = _loss_case(case)
    if framework == "fastgrad":
        import fastgrad as fg
        from fastgrad import nn
        fg.set_num_threads(1)
        return (nn.MSELoss() if case == "mse" else nn.CrossEntropyLoss(),
                fg.Tensor(x, requires_grad=True), t)
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return ((torch.nn.MSELoss() if case == "mse" else torch.nn.CrossEntropyLoss()),
            torch.tensor(x, requires_grad=True), torch.tensor(t))


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("case", ["mse", "cross_entropy"])
def test_loss_forward(benchmark, case, framework):
    if framework == "numpy":
        (loss_fn, _), (x, t) = _numpy_loss(case), _loss_case(case)
    else:
        loss_fn, x, t = _loss_fn(framework, case)
    benchmark.group = f"{case} forward"
    benchmark(loss_fn, x, t)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("case", ["mse", "cross_entropy"])
def test_loss_forward_backward(benchmark, case, framework):
    benchmark.group = f"{case} forward + backward"
    if framework == "numpy":
        (_, loss_and_grad), (x, t) = _numpy_loss(case), _loss_case(case)
        benchmark(loss_and_grad, x, t)
        return
    loss_fn, x, t = _loss_fn(framework, case)
    benchmark(lambda: loss_fn(x, t).backward())


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_shuffled_epoch_of_tensor_dataset(benchmark, framework):
    r = np.random.default_rng(0)
    X, y = r.standard_normal((1347, 64)).astype(np.float32), r.integers(0, 10, 1347)
    if framework == "fastgrad":
        from fastgrad.data import DataLoader, TensorDataset
        loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    elif framework == "numpy":
        gen = np.random.default_rng(0)

        def epoch():
            order = gen.permutation(len(X))
            return [(X[order[i:i + 32]], y[order[i:i + 32]]) for i in range(0, len(X), 32)]
        benchmark.group = "DataLoader epoch (1347 x 64, batch 32, shuffle)"
        benchmark(epoch)
        return
    else:
        torch = pytest.importorskip("torch")
        from torch.utils.data import DataLoader, TensorDataset
        torch.set_num_threads(1)
        loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=32,
                            shuffle=True, generator=torch.Generator().manual_seed(0))
    benchmark.group = "DataLoader epoch (1347 x 64, batch 32, shuffle)"
    benchmark(lambda: [b for b in loader])
