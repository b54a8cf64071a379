"""Trains a 784-512-256-10 MLP (batch 32, Adam) and checks that resident memory stays flat.

    python tools/leak_check.py [--steps 10000] [--warmup 300] [--limit-mb 5]

RSS is read from /proc/self/statm after a warm-up (which fills NumPy's and the allocator's
caches and Adam's state) and then every 100 steps; the exit status is 1 when it grows by
--limit-mb or more. Any per-step leak in the kernels, the binding or the autograd graph (a
saved tensor never released, a context kept alive) grows RSS linearly with the step count.
--leak-bytes N deliberately keeps N bytes per step, to show the check can fail.
Linux only (/proc). Runs as its own process so nothing else shares its heap.
"""
import argparse
import os
import sys

import numpy as np

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def train(steps, warmup, leak_bytes=0):
    """Returns (RSS after warm-up, largest RSS seen after it), in bytes."""
    import fastgrad as fg
    from fastgrad import nn, optim

    fg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32 * 16, 784)).astype(np.float32)
    y = rng.integers(0, 10, 32 * 16)
    kept = []
    base = peak = None
    for step in range(steps):
        i = (step % 16) * 32
        opt.zero_grad()
        loss = loss_fn(model(X[i:i + 32]), y[i:i + 32])
        loss.backward()
        opt.step()
        if leak_bytes:
            kept.append(np.ones(leak_bytes, np.uint8))
        if step + 1 == warmup:
            base = peak = rss_bytes()
        elif step + 1 > warmup and (step + 1) % 100 == 0:
            peak = max(peak, rss_bytes())
    if not np.isfinite(loss.item()):
        raise SystemExit(f"leak_check: training diverged (loss {loss.item()})")
    return base, peak


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--limit-mb", type=float, default=5.0)
    ap.add_argument("--leak-bytes", type=int, default=0)
    args = ap.parse_args(argv)
    if not 0 < args.warmup < args.steps:
        ap.error("need 0 < warmup < steps")
    base, peak = train(args.steps, args.warmup, args.leak_bytes)
    growth_mb = (peak - base) / 2 ** 20
    print(f"leak_check: {args.steps} steps, RSS after {args.warmup}-step warm-up "
          f"{base / 2 ** 20:.1f} MB, growth after it {growth_mb:+.2f} MB "
          f"(limit {args.limit_mb} MB)")
    return 0 if growth_mb < args.limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
