"""fg.einsum's forward and backward against fg.bmm (the same product through MatMul), and
the NumPy call each einsum makes with and without its contraction-order search (optimize=True).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/time_einsum.py [rounds]

For a small product (one 4x5 by 5x3 matrix) and a batched one (32 of 128x64 by 64x128): the
median over `rounds` (default 7) rounds of the mean of a batch of calls, all in one process
so the ratios share the machine's state; one BLAS thread unless the environment says otherwise.
fastgrad/ops_linalg.py chooses optimize=True above 4096 elements in all, where it pays.
"""
import statistics
import sys
import time

import numpy as np

import fastgrad as fg


def seconds(fn, calls, rounds):
    fn()
    means = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        means.append((time.perf_counter() - t0) / calls)
    return statistics.median(means)


def step(op, a, b):
    a.grad = b.grad = None
    op(a, b).sum().backward()


def main(rounds=7):
    cases = {"small 4x5 @ 5x3": ((1, 4, 5), (1, 5, 3), 2000),
             "batched 32 x (128x64 @ 64x128)": ((32, 128, 64), (32, 64, 128), 10)}
    rng = np.random.default_rng(0)
    for name, (sa, sb, calls) in cases.items():
        a = fg.tensor(rng.standard_normal(sa), requires_grad=True)
        b = fg.tensor(rng.standard_normal(sb), requires_grad=True)
        x, y = a.numpy(), b.numpy()
        t = {
            "fg.einsum fwd+bwd": seconds(
                lambda: step(lambda p, q: fg.einsum("bij,bjk->bik", p, q), a, b), calls, rounds),
            "fg.bmm fwd+bwd": seconds(lambda: step(fg.bmm, a, b), calls, rounds),
            "np.einsum optimize=False": seconds(
                lambda: np.einsum("bij,bjk->bik", x, y, optimize=False), calls, rounds),
            "np.einsum optimize=True": seconds(
                lambda: np.einsum("bij,bjk->bik", x, y, optimize=True), calls, rounds),
        }
        print(name)
        for k, v in t.items():
            print(f"  {k:26s} {v * 1e6:10.1f} us")
        print(f"  einsum / bmm: {t['fg.einsum fwd+bwd'] / t['fg.bmm fwd+bwd']:.2f}x; "
              f"optimize=False / True: "
              f"{t['np.einsum optimize=False'] / t['np.einsum optimize=True']:.2f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
