"""python -m fastgrad demo: train an MLP on the bundled digits and report test accuracy.
python -m fastgrad bench: time training steps against PyTorch and NumPy, each in its own process."""
import argparse
import sys
import time

import numpy as np


def split_digits(seed=0, test_fraction=0.25):
    """The bundled digits, shuffled, split train/test, standardised by the training statistics."""
    from .datasets import load_digits

    X, y = load_digits()
    perm = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(len(X) * test_fraction))
    test, train = perm[:n_test], perm[n_test:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    std[std == 0] = 1  # pixels that are blank in every training image
    scale = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return scale(X[train]), y[train], scale(X[test]), y[test]


def accuracy(model, X, y):
    import fastgrad as fg

    model.eval()
    with fg.no_grad():
        pred = model(X).data.argmax(axis=1)
    model.train()
    return float((pred == y).mean())


def demo(epochs=20, batch_size=32, lr=1e-3, seed=0, hidden=128, progress=True):
    """Trains 64-hidden-10 with ReLU, Adam and cross-entropy; returns (test accuracy, seconds)."""
    from tqdm import tqdm

    import fastgrad as fg
    from fastgrad import nn, optim
    from fastgrad.data import DataLoader, TensorDataset

    fg.manual_seed(seed)
    Xtr, ytr, Xte, yte = split_digits(seed)
    model = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=batch_size, shuffle=True, seed=seed)

    start = time.perf_counter()
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress,
               file=sys.stdout)
    for _ in bar:
        total, batches = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total, batches = total + loss.item(), batches + 1
        bar.set_postfix(loss=f"{total / batches:.4f}")
    seconds = time.perf_counter() - start
    return accuracy(model, Xte, yte), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastgrad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="train an MLP on the bundled handwritten digits")
    d.add_argument("--epochs", type=int, default=20)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    b = sub.add_parser("bench", help="training-step benchmark against PyTorch and NumPy")
    b.add_argument("--workloads", default="T,S,M,L,I1,I1024",
                   help="comma-separated subset of T,S,M,L,I1,I1024")
    b.add_argument("--threads", default="1", help="comma-separated thread counts, e.g. 1,2")
    b.add_argument("--rounds", type=int, default=3, help="interleaved rounds per pair")
    args = parser.parse_args(argv)

    if args.command == "bench":
        from . import bench

        names = [w.strip() for w in args.workloads.split(",") if w.strip()]
        unknown = [w for w in names if w not in bench.WORKLOADS]
        if unknown:
            parser.error(f"unknown workloads {unknown}; choose from {list(bench.WORKLOADS)}")
        threads = tuple(int(t) for t in args.threads.split(","))
        bench.run(names, threads=threads, rounds=args.rounds)
        return 0

    if args.command == "demo":
        import fastgrad as fg

        acc, seconds = demo(epochs=args.epochs, seed=args.seed, progress=not args.no_progress)
        print(f"test accuracy: {acc:.4f} on 450 held-out digits")
        print(f"training time: {seconds:.2f} s ({args.epochs} epochs, "
              f"{fg.get_num_threads()} threads, {fg.isa()} kernels)")
        return 0 if acc >= 0.96 else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
