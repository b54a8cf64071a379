"""fastgrad.linalg beside torch.linalg: forward and backward of one op, each framework in its
own process, single-threaded (fastgrad's kernels, PyTorch and every BLAS held to 1 thread).

    PYTHONPATH=. python benchmarks/time_linalg.py [rounds]

Each process times every op (median of 20 calls) once per round; rounds alternate the
frameworks so a slow spell of the machine falls on both. Printed: the median over rounds in
microseconds and fastgrad / torch.
"""
import json
import statistics
import subprocess
import sys
import time

import numpy as np

SHAPES = {"batch 64 of 16x16": (64, 16, 16), "one 256x256": (256, 256)}
OPS = ["inv", "solve", "det", "cholesky", "eigh", "svd"]


def op_loss(L, name, a):
    """A scalar through the op, the same source for both libraries."""
    n = a.shape[-1]
    spd = a @ a.transpose(-2, -1) + L.eye(n, dtype=a.dtype) * n
    if name == "inv":
        return L.linalg.inv(spd).sum()
    if name == "solve":
        return L.linalg.solve(spd, a).sum()
    if name == "det":
        return L.linalg.det(a).sum()
    if name == "cholesky":
        return L.linalg.cholesky(spd).sum()
    if name == "eigh":
        w, v = L.linalg.eigh(spd)
        return w.sum() + (v * v).sum()
    u, s, vh = L.linalg.svd(a, full_matrices=False)
    return s.sum() + (u * u).sum()


def run(framework):
    """Times in microseconds of forward + backward, per (shape, op), in this process."""
    from threadpoolctl import threadpool_limits
    if framework == "torch":
        import torch as L
        L.set_num_threads(1)
    else:
        import fastgrad as L
        L.set_num_threads(1)
    rng = np.random.default_rng(0)
    out = {}
    with threadpool_limits(limits=1):
        for label, shape in SHAPES.items():
            x = rng.standard_normal(shape)
            for name in OPS:
                times = []
                for _ in range(21):
                    a = L.tensor(x, requires_grad=True)
                    t0 = time.perf_counter()
                    op_loss(L, name, a).backward()
                    times.append(time.perf_counter() - t0)
                out[f"{label}: {name}"] = statistics.median(times[1:]) * 1e6
    return out


def main(rounds=5):
    results = {"fastgrad": [], "torch": []}
    for r in range(rounds):
        order = ["fastgrad", "torch"] if r % 2 == 0 else ["torch", "fastgrad"]
        for fw in order:
            text = subprocess.run([sys.executable, __file__, "--one", fw], check=True,
                                  capture_output=True, text=True).stdout
            results[fw].append(json.loads(text))
    print(f"{'':34s} {'fastgrad us':>12s} {'torch us':>10s} {'ratio':>7s}")
    for key in results["fastgrad"][0]:
        f = statistics.median(run_[key] for run_ in results["fastgrad"])
        t = statistics.median(run_[key] for run_ in results["torch"])
        print(f"{key:34s} {f:12.0f} {t:10.0f} {f / t:7.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(run(sys.argv[2])))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
