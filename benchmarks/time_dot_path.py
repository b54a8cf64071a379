"""In-process cost of the GEMM's dot path (csrc/gemm_dot.c): the dense layer's forward at
inference batch sizes, y = x W^T + b with W row-major (out, in), per layer and for the whole
I1 model (784-512-256-10 ReLU, batch 1), at 1 and 2 threads.

    PYTHONPATH=. python benchmarks/time_dot_path.py [calls] [batch] [isa]

Each figure is the median over `calls` (default 5000) single calls timed with perf_counter_ns,
after a warm-up, so it shows the steady state with W in cache (L2 or L3: W1 alone is 1.6 MB).
isa (avx512, avx2, generic) forces that GEMM path; the default is the one chosen at import.
The machine is shared and noisy: compare builds by running them alternately.
"""
import statistics
import sys
import time

import numpy as np

from fastgrad import _kernels as K

RELU, NONE = K.ACTIVATIONS["relu"], K.ACTIVATIONS["none"]


def median_ns(fn, calls):
    for _ in range(max(200, calls // 10)):
        fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times)


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if len(sys.argv) > 3 and not K.set_isa(sys.argv[3]):
        sys.exit(f"this CPU does not run {sys.argv[3]}")
    r = np.random.default_rng(0)
    sizes = [784, 512, 256, 10]
    Ws = [r.standard_normal((o, i)).astype(np.float32) * 0.05 for i, o in zip(sizes, sizes[1:])]
    bs = [r.standard_normal(o).astype(np.float32) for o in sizes[1:]]
    x = r.standard_normal((batch, sizes[0])).astype(np.float32)
    acts = [RELU, RELU, NONE]
    hs = [x]
    for W, b, a in zip(Ws, bs, acts):
        hs.append(np.empty((batch, W.shape[0]), np.float32))
    cases = []
    for l, (W, b, a) in enumerate(zip(Ws, bs, acts)):
        def layer(W=W, b=b, a=a, h=hs[l], y=hs[l + 1]):
            K.dense_forward(h, W, b, a, 0.0, None, y)
        cases.append((f"layer {W.shape[1]}->{W.shape[0]} (W 64B-offset "
                      f"{W.ctypes.data % 64})", layer))

    def stack():
        K.dense_stack_forward(x, Ws, bs, acts, [0.0, 0.0, 0.0], False)
    cases.append((f"I1 stack 784-512-256-10, batch {batch}", stack))
    before = K.get_num_threads()
    print(f"isa {K.isa()}, median of {calls} calls, us")
    for name, fn in cases:
        row = []
        for t in (1, 2):
            K.set_num_threads(t)
            row.append(median_ns(fn, calls) / 1e3)
        print(f"  {name:48s} 1 thread {row[0]:7.2f}   2 threads {row[1]:7.2f}")
    K.set_num_threads(before)


if __name__ == "__main__":
    main()
