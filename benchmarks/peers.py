"""Training-step benchmarks: fastgrad against PyTorch eager and a NumPy network written by hand.

One step is forward, loss, backward and optimizer update, written the ordinary way in each
framework. `python -m fastgrad bench` (from a checkout) runs every (framework, workload) pair
in its own process, so no two thread pools share a process, interleaving the frameworks round
by round so that a slow spell of the machine falls on all of them, and reports medians.
benchmarks/bench_train_step.py times the same step functions under pytest-benchmark.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

import numpy as np

Workload = namedtuple("Workload", "name sizes activation batch loss optimizer lr train")

WORKLOADS = {
    "T": Workload("T", (2, 16, 16, 1), "tanh", 32, "mse", "sgd", 0.1, True),
    "S": Workload("S", (784, 128, 10), "relu", 64, "ce", "adam", 1e-3, True),
    "M": Workload("M", (784, 512, 256, 10), "relu", 128, "ce", "adam", 1e-3, True),
    "L": Workload("L", (1024, 2048, 2048, 1024), "relu", 512, "mse", "adam", 1e-3, True),
    "I1": Workload("I1", (784, 512, 256, 10), "relu", 1, "ce", "adam", 1e-3, False),
    "I1024": Workload("I1024", (784, 512, 256, 10), "relu", 1024, "ce", "adam", 1e-3, False),
}
FRAMEWORKS = ("fastgrad", "torch", "numpy")
OPTIONAL_PEERS = ("torch",)  # numpy is a dependency of fastgrad; the others may be absent


def missing_peers():
    """The optional peers that cannot be imported here; their columns show '-'."""
    import importlib.util

    return [name for name in OPTIONAL_PEERS if importlib.util.find_spec(name) is None]


def batch_for(w, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((w.batch, w.sizes[0])).astype(np.float32)
    if w.loss == "ce":
        y = rng.integers(0, w.sizes[-1], w.batch)
    else:
        y = rng.standard_normal((w.batch, w.sizes[-1])).astype(np.float32)
    return x, y


# ---- the three implementations of one step ----------------------------------------------------

def fastgrad_step(w):
    import fastgrad as fg
    from fastgrad import nn, optim

    fg.manual_seed(0)
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[w.activation]
    layers = []
    for i, (a, b) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers += [nn.Linear(a, b)] + ([act()] if i < len(w.sizes) - 2 else [])
    model = nn.Sequential(*layers)
    x, y = batch_for(w)
    if not w.train:
        model.eval()

        def infer():
            with fg.no_grad():
                return model(x)
        return infer
    opt = (optim.Adam if w.optimizer == "adam" else optim.SGD)(model.parameters(), lr=w.lr)
    loss_fn = nn.CrossEntropyLoss() if w.loss == "ce" else nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def torch_step(w):
    import torch

    torch.manual_seed(0)
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[w.activation]
    layers = []
    for i, (a, b) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([act()] if i < len(w.sizes) - 2 else [])
    model = torch.nn.Sequential(*layers)
    xn, yn = batch_for(w)
    x, y = torch.from_numpy(xn), torch.from_numpy(yn)
    if not w.train:
        model.eval()

        def infer():
            with torch.no_grad():
                return model(x)
        return infer
    opt = (torch.optim.Adam if w.optimizer == "adam" else torch.optim.SGD)(
        model.parameters(), lr=w.lr)
    loss_fn = torch.nn.CrossEntropyLoss() if w.loss == "ce" else torch.nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def numpy_step(w):
    """The network by hand: forward, the chain rule written out, and the optimizer."""
    rng = np.random.default_rng(0)
    Ws, bs = [], []
    for a, b in zip(w.sizes[:-1], w.sizes[1:]):
        bound = 1 / np.sqrt(a)
        Ws.append(rng.uniform(-bound, bound, (a, b)).astype(np.float32))
        bs.append(rng.uniform(-bound, bound, b).astype(np.float32))
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    x, y = batch_for(w)
    tanh = w.activation == "tanh"
    count = [0]

    def forward(x):
        hs = [x]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = hs[-1] @ W + b
            if i < len(Ws) - 1:
                z = np.tanh(z) if tanh else np.maximum(z, 0)
            hs.append(z)
        return hs

    if not w.train:
        return lambda: forward(x)[-1]

    def step():
        hs = forward(x)
        out = hs[-1]
        if w.loss == "ce":
            e = np.exp(out - out.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            g = p / len(y)
        else:
            g = 2 * (out - y) / out.size
        grads_W, grads_b = [None] * len(Ws), [None] * len(Ws)
        for i in reversed(range(len(Ws))):
            grads_W[i] = hs[i].T @ g
            grads_b[i] = g.sum(axis=0)
            if i:
                g = g @ Ws[i].T
                g = g * (1 - hs[i] ** 2) if tanh else g * (hs[i] > 0)
        grads = grads_W + grads_b
        if w.optimizer == "sgd":
            for p, gr in zip(params, grads):
                p -= w.lr * gr
            return
        count[0] += 1
        t = count[0]
        for p, gr, mi, vi in zip(params, grads, m, v):
            mi *= 0.9
            mi += 0.1 * gr
            vi *= 0.999
            vi += 0.001 * gr * gr
            p -= (w.lr / (1 - 0.9 ** t)) * mi / (np.sqrt(vi / (1 - 0.999 ** t)) + 1e-8)
    return step


STEP_FACTORIES = {"fastgrad": fastgrad_step, "torch": torch_step, "numpy": numpy_step}


def time_step(step, min_seconds=0.3, min_steps=5, warmup=3):
    """Median seconds per call, over at least min_steps calls and min_seconds."""
    for _ in range(warmup):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < min_steps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


# ---- isolation: one process per (framework, workload, threads) -------------------------------

def _worker_env(framework, threads):
    # The worker imports this same fastgrad (installed or in-tree) and this module, from a
    # neutral folder.
    import fastgrad

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fastgrad.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [package_parent, os.path.dirname(os.path.abspath(__file__))]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["FASTGRAD_NUM_THREADS"] = str(threads)
    if framework == "numpy":
        # Settings some systems make for old OpenBLAS builds; they slow a current NumPy down.
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def measure_in_subprocess(framework, workload, threads, min_seconds=0.3):
    """Median seconds per step, measured in a fresh process; None if the framework is absent."""
    return _in_subprocess(framework, threads,
                          f"peers._worker({framework!r}, {workload!r}, {threads}, {min_seconds})")


def accuracy_in_subprocess(threads):
    """time_to_accuracy() run in a fresh process with fastgrad on `threads` threads:
    (seconds, epochs, accuracy)."""
    return tuple(_in_subprocess("fastgrad", threads, f"peers._accuracy_worker({threads})"))


def _accuracy_worker(threads):
    _set_threads(threads)
    return time_to_accuracy()


def _set_threads(threads):
    import fastgrad
    fastgrad.set_num_threads(threads)


def _in_subprocess(framework, threads, call):
    code = f"import json, sys; import peers; print(json.dumps({call}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=_worker_env(framework, threads), timeout=1800,
                         cwd=tempfile.gettempdir())
    if out.returncode != 0:
        raise RuntimeError(f"{call} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _worker(framework, workload, threads, min_seconds):
    if framework == "torch":
        try:
            import torch
        except ImportError:
            return None
        torch.set_num_threads(threads)
    elif framework == "fastgrad":
        _set_threads(threads)
    return time_step(STEP_FACTORIES[framework](WORKLOADS[workload]), min_seconds)


def digits_run(seed=0):
    """What the time-to-accuracy run trains, built before the clock starts: the digits split
    (75/25, standardised), a 64-128-10 ReLU MLP, Adam lr 1e-3, cross-entropy, batches of 32."""
    import fastgrad as fg
    from fastgrad import nn, optim
    from fastgrad.data import DataLoader, TensorDataset
    from fastgrad.datasets import load_digits_split

    fg.manual_seed(seed)
    Xtr, ytr, Xte, yte = load_digits_split(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    return dict(model=model, opt=optim.Adam(model.parameters(), lr=1e-3),
                loss_fn=nn.CrossEntropyLoss(), Xte=Xte, yte=yte,
                loader=DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True,
                                  seed=seed))


def train_to_accuracy(run, target=0.97, max_epochs=200):
    """Trains a digits_run() until its test accuracy first reaches target, checked after every
    epoch; returns (seconds of training, checks excluded, epochs, accuracy)."""
    import fastgrad as fg

    model, opt, loss_fn, loader = run["model"], run["opt"], run["loss_fn"], run["loader"]
    spent = 0.0
    for epoch in range(1, max_epochs + 1):
        t0 = time.perf_counter()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        spent += time.perf_counter() - t0
        with fg.no_grad():
            acc = float((model(run["Xte"]).numpy().argmax(axis=1) == run["yte"]).mean())
        if acc >= target:
            return spent, epoch, acc
    return float("nan"), max_epochs, acc


def time_to_accuracy(target=0.97, max_epochs=200, seed=0):
    """Seconds of training until the digits test accuracy first reaches target (64-128-10 ReLU,
    Adam lr 1e-3, batch 32, standardised, 75/25 split); accuracy checked after every epoch,
    checking time excluded. Returns (seconds, epochs, accuracy)."""
    return train_to_accuracy(digits_run(seed), target, max_epochs)


def _fmt(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def run(workloads=None, threads=(1,), rounds=3, min_seconds=0.3, progress=True, out=sys.stdout):
    """Runs the comparison and prints a table; returns {(workload, threads): {framework: s}}.
    A peer that is not installed shows as '-'."""
    workloads = list(workloads or WORKLOADS)
    jobs = [(wl, t, r, fw) for t in threads for wl in workloads for r in range(rounds)
            for fw in FRAMEWORKS]
    jobs += [("digits", t, r, "fastgrad") for t in threads for r in range(rounds)]
    samples, accuracy_runs = {}, {}
    if progress:
        from tqdm import tqdm

        jobs = tqdm(jobs, desc="benchmarking", unit="run", file=sys.stderr)
    for wl, t, r, fw in jobs:
        if wl == "digits":
            accuracy_runs.setdefault(t, []).append(accuracy_in_subprocess(t))
            continue
        samples.setdefault((wl, t), {}).setdefault(fw, []).append(
            measure_in_subprocess(fw, wl, t, min_seconds))
    results = {}
    print(f"\nfastgrad training step vs PyTorch eager and NumPy by hand (median of {rounds} "
          "interleaved rounds, each its own process)", file=out)
    print(f"{'workload':<8} {'threads':>7} {'fastgrad':>10} {'torch':>10} {'numpy':>10} "
          f"{'vs torch':>9} {'vs numpy':>9}", file=out)
    for (wl, t), per in samples.items():
        med = {fw: (None if None in v else float(np.median(v))) for fw, v in per.items()}
        results[(wl, t)] = med
        ratio = (lambda fw: "-" if med[fw] is None  # noqa: E731
                 else f"{med[fw] / med['fastgrad']:.2f}x")
        print(f"{wl:<8} {t:>7} {_fmt(med['fastgrad']):>10} {_fmt(med['torch']):>10} "
              f"{_fmt(med['numpy']):>10} {ratio('torch'):>9} {ratio('numpy'):>9}", file=out)
    print("", file=out)
    for t, runs in accuracy_runs.items():
        seconds = float(np.median([r[0] for r in runs]))
        epochs, acc = runs[0][1], runs[0][2]  # the same every run: seeded
        print(f"time to 97% test accuracy on the digits, {t} thread{'s' if t > 1 else ''}: "
              f"{seconds * 1e3:.1f} ms of training ({epochs} epochs, accuracy {acc:.4f}; "
              f"median of {len(runs)} processes)", file=out)
        results[("digits", t)] = seconds
    return results
