"""fastgrad.sklearn against scikit-learn's MLP and against skorch: fit time and held-out score.

    python benchmarks/bench_sklearn.py [--rounds 3] [--epochs 10] [--digits-epochs 200]

Peers, each fit in its own process at 1 thread (FASTGRAD_NUM_THREADS, OMP/OPENBLAS/MKL = 1,
torch.set_num_threads(1)), the processes interleaved round by round so that a slow spell of
the machine falls on all of them; the table shows medians over the rounds:

- fastgrad:   fastgrad.sklearn.MLPClassifier / MLPRegressor (float32, the default)
- sklearn:    sklearn.neural_network.MLPClassifier / MLPRegressor (float64, its default; run
              with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, which this machine sets for an
              old OpenBLAS build and which slow NumPy down)
- fg-net:     fastgrad.sklearn.NeuralNetClassifier / Regressor on MLPModule (Adam, the same
              epochs and batch size)
- skorch:     skorch.NeuralNetClassifier / Regressor on the same network in PyTorch (skipped,
              and said so, when skorch or torch is missing)

Both MLPs get the same hyper-parameters: scikit-learn's defaults, or hidden_layer_sizes=(128,
64) with batch_size=64, and the same number of epochs (n_iter_no_change = max_iter, so that
neither stops early and the times compare equal work). The NeuralNet peers use Adam at
scikit-learn's default learning rate without the L2 term (alpha=1e-4 divided by the batch size
is negligible). Each child first fits once on 512 rows, untimed, so first-call costs are left
out for every peer. Tasks: the digits (X / 16), make_classification(n_samples=100_000,
n_features=50, n_informative=30, n_classes=5) and make_regression of the same size (y divided
by its standard deviation); 25% held out (accuracy, R^2).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

TASKS = ("digits", "classification", "regression")
CONFIGS = {"defaults": {}, "128x64-b64": {"hidden_layer_sizes": (128, 64), "batch_size": 64}}
PEERS = ("fastgrad", "sklearn", "fg-net", "skorch")


def load(task):
    from sklearn.datasets import load_digits, make_classification, make_regression
    from sklearn.model_selection import train_test_split

    if task == "digits":
        X, y = load_digits(return_X_y=True)
        X = X / 16.0
    elif task == "classification":
        X, y = make_classification(n_samples=100_000, n_features=50, n_informative=30,
                                   n_classes=5, random_state=0)
    else:
        X, y = make_regression(n_samples=100_000, n_features=50, n_informative=30, noise=1.0,
                               random_state=0)
        y = y / y.std()
    return train_test_split(X, y, test_size=0.25, random_state=0)


def make_estimator(peer, task, config, epochs):
    params = {**CONFIGS[config], "max_iter": epochs, "n_iter_no_change": epochs,
              "random_state": 0}
    hidden = params.get("hidden_layer_sizes", (100,))
    batch = params.get("batch_size", 200)
    classifier = task != "regression"
    if peer == "fastgrad":
        from fastgrad.sklearn import MLPClassifier, MLPRegressor
        return (MLPClassifier if classifier else MLPRegressor)(**params)
    if peer == "sklearn":
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        return (MLPClassifier if classifier else MLPRegressor)(**params)
    net = dict(max_epochs=epochs, batch_size=batch, lr=1e-3)
    if peer == "fg-net":
        from fastgrad import optim
        from fastgrad.sklearn import MLPModule, NeuralNetClassifier, NeuralNetRegressor
        cls = NeuralNetClassifier if classifier else NeuralNetRegressor
        return cls(MLPModule, optimizer=optim.Adam, random_state=0,
                   module__hidden_layer_sizes=hidden, **net)
    import torch
    import skorch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    n_in = 64 if task == "digits" else 50
    n_out = {"digits": 10, "classification": 5, "regression": 1}[task]
    sizes = [n_in, *hidden, n_out]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
    module = torch.nn.Sequential(*layers)
    if classifier:
        return skorch.NeuralNetClassifier(module, criterion=torch.nn.CrossEntropyLoss,
                                          optimizer=torch.optim.Adam, train_split=None,
                                          verbose=0, **net)
    return skorch.NeuralNetRegressor(module, optimizer=torch.optim.Adam, train_split=None,
                                     verbose=0, **net)


def child(peer, task, config, epochs):
    """Fits one peer once; prints {"seconds", "score", "epochs"} as JSON."""
    import warnings

    X_tr, X_te, y_tr, y_te = load(task)
    if peer == "skorch":
        X_tr, X_te = X_tr.astype(np.float32), X_te.astype(np.float32)
        if task == "regression":
            y_tr = y_tr.astype(np.float32).reshape(-1, 1)
        else:
            y_tr = y_tr.astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epochs are fixed on purpose
        # An untimed warm-up fit (one epoch on 512 rows): first-call costs (lazy imports,
        # thread pools, allocator) are not what this compares.
        make_estimator(peer, task, config, 1).fit(X_tr[:512], y_tr[:512])
        est = make_estimator(peer, task, config, epochs)
        start = time.perf_counter()
        est.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
    if task == "regression":
        from sklearn.metrics import r2_score
        score = r2_score(y_te, np.asarray(est.predict(X_te)).ravel())
    else:
        score = float(np.mean(est.predict(X_te) == y_te))
    ran = getattr(est, "n_iter_", epochs)
    print(json.dumps({"seconds": seconds, "score": float(score), "epochs": int(ran)}))


def run_child(peer, task, config, epochs):
    env = dict(os.environ, FASTGRAD_NUM_THREADS="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if peer == "sklearn":  # the NumPy baseline only: see the module docstring
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, "--child", peer, task, config, str(epochs)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"{peer} {task} {config} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peers_available():
    import importlib.util
    missing = [m for m in ("skorch", "torch") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"skorch peer skipped: {', '.join(missing)} not installed")
        return [p for p in PEERS if p != "skorch"]
    return list(PEERS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10, help="epochs on the 100k tasks")
    parser.add_argument("--digits-epochs", type=int, default=200,
                        help="epochs on the digits (scikit-learn's default max_iter)")
    parser.add_argument("--tasks", nargs="*", default=list(TASKS), choices=TASKS)
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--peers", nargs="*", default=None, choices=PEERS)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        peer, task, config, epochs = args.child
        return child(peer, task, config, int(epochs))
    peers = args.peers or peers_available()
    print(f"1 thread, medians of {args.rounds} rounds, seconds per fit (score on 25% held out)")
    header = f"{'task':15s}{'config':12s}{'epochs':>7s}" + "".join(f"{p:>20s}" for p in peers)
    print(header + f"{'sklearn/fastgrad':>18s}{'skorch/fg-net':>15s}")
    for task in args.tasks:
        epochs = args.digits_epochs if task == "digits" else args.epochs
        for config in args.configs:
            results = {p: [] for p in peers}
            for _ in range(args.rounds):
                for peer in peers:
                    results[peer].append(run_child(peer, task, config, epochs))
            med = {p: statistics.median(r["seconds"] for r in rs) for p, rs in results.items()}
            score = {p: statistics.median(r["score"] for r in rs) for p, rs in results.items()}
            cells = "".join(f"{med[p]:10.2f}s ({score[p]:.4f})" for p in peers)
            ratio = med["sklearn"] / med["fastgrad"] if {"sklearn", "fastgrad"} <= set(med) else 0
            net_ratio = (med["skorch"] / med["fg-net"] if {"skorch", "fg-net"} <= set(med)
                         else float("nan"))
            print(f"{task:15s}{config:12s}{epochs:7d}{cells}{ratio:17.1f}x{net_ratio:14.1f}x",
                  flush=True)


if __name__ == "__main__":
    main()
