"""fastgrad's GEMM against NumPy's matmul: GFLOP/s and ratios, float32 and float64, 1 and 2 threads.

    python benchmarks/run_gemm.py [--rounds 6] [--threads 1 2] [--dtypes float32 float64]

Each library runs in its own child process, alternating, `--rounds` times; a shape's figure is
the median over all its timed calls. Many short alternating rounds, so that both libraries
see the same mix of load on a shared machine. NumPy's child gets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
removed from its environment (only there) and its thread count set through
OPENBLAS_NUM_THREADS and threadpoolctl; fastgrad's child gets FASTGRAD_NUM_THREADS. The last
row compares the fused dense forward (matmul + bias + ReLU in one call) with NumPy's three
separate operations at 128x784x512.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (128, 784, 512),
          (784, 128, 512), (512, 1024, 2048), (512, 2048, 2048), (2048, 512, 2048),
          (64, 784, 128)]  # m x k x n
DENSE = (128, 784, 512)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def _time_calls(fn, budget=0.12, min_calls=3, max_calls=100):
    fn()  # warm-up: page faults, scratch buffers, thread start
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or (time.perf_counter() - start < budget and len(times) < max_calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def worker(lib, dtype, threads):
    """Times every shape with one library in this process; prints {name: [seconds...]}."""
    import numpy as np
    rng = np.random.default_rng(0)
    out = {}
    if lib == "numpy":
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(limits=threads, user_api="blas")
    else:
        sys.path.insert(0, ROOT)
        from fastgrad import _kernels as K
        K.set_num_threads(threads)
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        c = np.empty((m, n), dtype)
        if lib == "numpy":
            fn = lambda: np.matmul(a, b, out=c)
        else:
            fn = lambda: K.gemm(a, b, c)
        out[f"{m}x{k}x{n}"] = _time_calls(fn)
    m, k, n = DENSE
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)  # PyTorch's (out, in) layout
    bias = rng.standard_normal(n).astype(dtype)
    y = np.empty((m, n), dtype)
    if lib == "numpy":
        def fn():
            np.matmul(x, w.T, out=y)
            np.add(y, bias, out=y)
            np.maximum(y, 0, out=y)
    else:
        fn = lambda: K.dense_forward(x, w, bias, K.ACT_RELU, 0.0, None, y)
    out["dense"] = _time_calls(fn)
    if lib == "fastgrad":
        out["isa"] = K.isa()
    json.dump(out, sys.stdout)


def run_child(lib, dtype, threads):
    env = dict(os.environ)
    if lib == "numpy":
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    else:
        env["FASTGRAD_NUM_THREADS"] = str(threads)
        env["OPENBLAS_NUM_THREADS"] = "1"  # keep NumPy's idle BLAS pool out of the way
    res = subprocess.run([sys.executable, __file__, "--worker", lib, dtype, str(threads)],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    args = ap.parse_args()
    if args.worker:
        lib, dtype, threads = args.worker
        return worker(lib, dtype, int(threads))

    isa = "?"
    for dtype in args.dtypes:
        for threads in args.threads:
            samples = {"fastgrad": {}, "numpy": {}}
            for _ in range(args.rounds):
                for lib in ("fastgrad", "numpy"):
                    res = run_child(lib, dtype, threads)
                    isa = res.pop("isa", isa)
                    for key, ts in res.items():
                        samples[lib].setdefault(key, []).extend(ts)
            print(f"\n{dtype}, {threads} thread(s), fastgrad ISA {isa}")
            print(f"{'m x k x n':>16} {'fastgrad GF/s':>14} {'numpy GF/s':>11} {'ratio':>6}")
            logs = []
            for m, k, n in SHAPES:
                key = f"{m}x{k}x{n}"
                flops = 2.0 * m * n * k
                gf = flops / _median(samples["fastgrad"][key]) / 1e9
                gn = flops / _median(samples["numpy"][key]) / 1e9
                logs.append(math.log(gf / gn))
                print(f"{key:>16} {gf:14.1f} {gn:11.1f} {gf / gn:6.2f}")
            print(f"{'geomean ratio':>16} {'':14} {'':11} {math.exp(sum(logs) / len(logs)):6.2f}")
            tf = _median(samples["fastgrad"]["dense"])
            tn = _median(samples["numpy"]["dense"])
            m, k, n = DENSE
            print(f"dense fwd {m}x{k}x{n} (matmul+bias+ReLU): fastgrad {tf * 1e6:.0f} us, "
                  f"numpy 3 ops {tn * 1e6:.0f} us, speed-up {tn / tf:.2f}")


if __name__ == "__main__":
    main()
