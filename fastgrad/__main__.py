"""fastgrad demo: train an MLP on the bundled digits and report test accuracy (--plot
curve.png: also draw the training and test loss per epoch; needs matplotlib, the viz extra).
fastgrad bench: time training steps against PyTorch and NumPy, each in its own process (run
from the root of a clone: the benchmark lives in the repository's benchmarks/ folder)."""
import argparse
import os
import sys
import time
from typing import List, Optional, Sequence


def accuracy(model, X, y) -> float:
    """The share of rows of X whose predicted class (argmax of model(X)) is y."""
    import fastgrad as fg

    model.eval()
    with fg.no_grad():
        pred = model(X).numpy().argmax(axis=1)
    model.train()
    return float((pred == y).mean())


def demo(epochs: int = 20, batch_size: int = 32, lr: float = 1e-3, seed: int = 0,
         hidden: int = 128, progress: bool = True, history: Optional[dict] = None):
    """Trains 64-hidden-10 with ReLU, Adam and cross-entropy; returns (test accuracy, seconds).

    progress: a bar on stderr, shown only when stderr is a terminal. history: a dict to
    receive "train" and "test", the mean training loss and the test loss of each epoch (the
    test loss is evaluated outside the timed training)."""
    import fastgrad as fg
    from fastgrad import nn, optim
    from fastgrad.data import DataLoader, TensorDataset
    from fastgrad.datasets import load_digits_split

    fg.manual_seed(seed)
    Xtr, ytr, Xte, yte = load_digits_split(seed)
    model = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=batch_size, shuffle=True, seed=seed)

    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=epochs, desc="training", unit="epoch", file=sys.stderr)
    start = time.perf_counter()
    evaluating = 0.0  # seconds spent on the test loss, left out of the training time
    if history is not None:
        history.setdefault("train", [])
        history.setdefault("test", [])
    for _ in range(epochs):
        total, batches = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total, batches = total + loss.item(), batches + 1
        if history is not None:
            t0 = time.perf_counter()
            history["train"].append(total / batches)
            with fg.no_grad():
                history["test"].append(loss_fn(model(Xte), fg.tensor(yte)).item())
            evaluating += time.perf_counter() - t0
        if bar is not None:
            bar.set_postfix(loss=f"{total / batches:.4f}")
            bar.update()
    seconds = time.perf_counter() - start - evaluating
    if bar is not None:
        bar.close()
    return accuracy(model, Xte, yte), seconds


def find_benchmarks() -> Optional[str]:
    """The checkout's benchmarks/ folder: beside the package (a tree built in place), else in
    the current directory (the root of a clone whose package was installed with pip); None
    when neither has it."""
    import fastgrad

    beside = os.path.dirname(os.path.dirname(os.path.abspath(fastgrad.__file__)))
    for root in (beside, os.getcwd()):
        folder = os.path.join(root, "benchmarks")
        if os.path.isfile(os.path.join(folder, "peers.py")):
            return folder
    return None


def _count(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _counts(text: str) -> List[int]:
    """argparse type: comma-separated whole numbers of at least 1, e.g. 1,2."""
    return [_count(part.strip()) for part in text.split(",") if part.strip()] or [_count(text)]


def _parser() -> argparse.ArgumentParser:
    import fastgrad

    parser = argparse.ArgumentParser(prog="fastgrad", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=fastgrad.__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="train an MLP on the bundled handwritten digits")
    d.add_argument("--epochs", type=_count, default=20)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    d.add_argument("--plot", metavar="PATH", default=None,
                   help="write the training and test loss per epoch to PATH (.png, .svg, "
                        ".pdf; needs matplotlib: pip install fastgrad[viz])")
    b = sub.add_parser("bench", help="training-step benchmark against PyTorch and NumPy")
    b.add_argument("--workloads", default="T,S,M,L,I1,I1024",
                   help="comma-separated subset of T,S,M,L,I1,I1024")
    b.add_argument("--threads", type=_counts, default=[1],
                   help="comma-separated thread counts, e.g. 1,2")
    b.add_argument("--rounds", type=_count, default=3, help="interleaved rounds per pair")
    return parser


def bench(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Runs benchmarks/peers.py from the checkout, or says how to get it."""
    folder = find_benchmarks()
    if folder is None:
        print("fastgrad bench runs the benchmarks in the source repository, which an installed "
              "package does not include. From the root of a clone:\n"
              "    git clone <fastgrad repository> && cd fastgrad && pip install .\n"
              "    fastgrad bench", file=sys.stderr)
        return 2
    sys.path.insert(0, folder)
    import peers

    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in peers.WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {list(peers.WORKLOADS)}")
    missing = peers.missing_peers()
    if missing:
        print(f"not installed, so not compared: {', '.join(missing)} (pip install "
              f"{' '.join(missing)}); running the rest", file=sys.stderr)
    peers.run(names, threads=tuple(args.threads), rounds=args.rounds,
              progress=sys.stderr.isatty())
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line: `fastgrad demo`, `fastgrad bench`, `fastgrad --version`."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "bench":
        return bench(parser, args)
    import fastgrad as fg

    history = None
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401  (checked before training, not after)
        except ImportError:
            parser.error("--plot needs matplotlib: pip install fastgrad[viz]")
        history = {}
    acc, seconds = demo(epochs=args.epochs, seed=args.seed, progress=not args.no_progress,
                        history=history)
    print(f"test accuracy: {acc:.4f} on 450 held-out digits")
    print(f"training time: {seconds:.2f} s ({args.epochs} epochs, "
          f"{fg.get_num_threads()} threads, {fg.isa()} kernels)")
    if history is not None:
        from fastgrad.viz import plot_losses

        plot_losses(history["train"], history["test"], path=args.plot,
                    title="fastgrad demo: 64-128-10 MLP on the digits")
        print(f"loss curves: {args.plot}")
    return 0 if acc >= 0.96 else 1


if __name__ == "__main__":
    sys.exit(main())
