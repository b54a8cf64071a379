"""Where an optimizer step's time goes, for the T (2-16-16-1, SGD lr 0.1) and S (784-128-10,
Adam lr 1e-3) workloads of benchmarks/peers.py: Python, binding and C.

    FASTGRAD_NUM_THREADS=1 PYTHONPATH=. python benchmarks/time_optim_parts.py [rounds]

In-process, every gradient present, the median of blocks of calls:
  opt.step()       the whole step;
  group call       the binding's group step alone (_kernels.sgd_step_group / adam_step_group),
                   that is binding + C; Python is the difference from opt.step();
  binding          the group call on a model of the same layer count with empty (0-element)
                   parameters: reading and checking the arrays, no arithmetic; C is the group
                   call less this;
  zero_grad()      set_to_none=True and False, less the cost of putting the gradients back.
Each figure is the median of `rounds` (default 7) rounds, each the median of its blocks.
"""
import statistics
import sys
import time

import numpy as np

import fastgrad as fg
from fastgrad import _kernels, nn, optim


def per_call(fn, block, blocks=40):
    for _ in range(3 * block):
        fn()
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(block):
            fn()
        times.append((time.perf_counter() - t0) / block)
    return statistics.median(times) * 1e6


def parameters(sizes, empty=False):
    fg.manual_seed(0)
    params = list(nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
                  .parameters())
    if empty:
        params = [nn.Parameter(fg.tensor(np.zeros(0, np.float32))) for _ in params]
    for p in params:
        p.grad = np.full_like(p.data, 1e-3)
    return params


def measure(sizes, make, group_call, block):
    params = parameters(sizes)
    opt = make(params)
    opt.step()  # starts the state, so every timed step takes the group call
    group, state = opt.param_groups[0], opt.state
    empty = make(parameters(sizes, empty=True))
    empty.step()
    grads = [p._grad for p in params]

    def put_back():
        for p, g in zip(params, grads):
            p._grad = g

    def zero_none():
        put_back()
        opt.zero_grad()

    def zero_fill():
        put_back()
        opt.zero_grad(set_to_none=False)

    back = per_call(put_back, 100)
    return {
        "opt.step()": per_call(opt.step, block),
        "group call": per_call(lambda: group_call(group, state), block),
        "binding": per_call(lambda: group_call(empty.param_groups[0], empty.state), 100),
        "zero_grad()": per_call(zero_none, 100) - back,
        "zero_grad(False)": per_call(zero_fill, 100) - back,
    }


def main(rounds=7):
    cases = [
        ("T SGD", (2, 16, 16, 1), lambda ps: optim.SGD(ps, lr=0.1), _kernels.sgd_step_group, 100),
        ("S Adam", (784, 128, 10), lambda ps: optim.Adam(ps, lr=1e-3), _kernels.adam_step_group,
         10),
    ]
    print(f"median of {rounds} rounds, µs per call, {fg.get_num_threads()} thread(s)")
    for name, sizes, make, group_call, block in cases:
        runs = [measure(sizes, make, group_call, block) for _ in range(rounds)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        python = med["opt.step()"] - med["group call"]
        c = med["group call"] - med["binding"]
        print(f"{name:7s} opt.step() {med['opt.step()']:8.2f}  = Python {python:6.2f} + binding "
              f"{med['binding']:6.2f} + C {c:7.2f};  zero_grad() {med['zero_grad()']:5.2f}, "
              f"zero_grad(set_to_none=False) {med['zero_grad(False)']:5.2f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
