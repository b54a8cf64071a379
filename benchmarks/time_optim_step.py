"""In-process cost of one optimizer.step() and zero_grad(): fastgrad against PyTorch's default
(foreach) optimizers, on the parameters of the T (2-16-16-1) and S (784-128-10) workloads of
benchmarks/peers.py (Linear layers; the activation does not matter to an optimizer).

    FASTGRAD_NUM_THREADS=1 PYTHONPATH=. python benchmarks/time_optim_step.py [NAdam Adam ...]

Only the call is timed, with every gradient present: blocks of 100 calls, the median block,
per call. zero_grad() (set_to_none=True) drops the gradients, so it is timed with putting them
back, less putting them back alone. For the small model the step is almost all Python and
binding overhead, which one binding call per parameter group is there to cut.
"""
import statistics
import time

import numpy as np

BLOCK = 100


def per_call(fn, blocks=300, warmup=3):
    for _ in range(warmup * BLOCK):
        fn()
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(BLOCK):
            fn()
        times.append((time.perf_counter() - t0) / BLOCK)
    return statistics.median(times)


def fastgrad_case(sizes, make_opt):
    import fastgrad as fg
    from fastgrad import nn

    fg.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b)] + ([nn.Tanh()] if i < len(sizes) - 2 else [])
    params = list(nn.Sequential(*layers).parameters())
    for p in params:
        p.grad = np.full_like(p.data, 1e-3)
    opt = make_opt(params)
    return opt, params


def torch_case(sizes, make_opt):
    import torch

    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.Tanh()] if i < len(sizes) - 2 else [])
    params = list(torch.nn.Sequential(*layers).parameters())
    for p in params:
        p.grad = torch.full_like(p, 1e-3)
    opt = make_opt(params)
    return opt, params


def timings(opt, params):
    """(step, zero_grad()) per call. zero_grad() drops the gradients, so it is timed together
    with putting them back, less the time of putting them back alone."""
    grads = [p.grad for p in params]

    def put_back():
        for p, g in zip(params, grads):
            p.grad = g

    def zero_grad():
        put_back()
        opt.zero_grad()
    return per_call(opt.step), per_call(zero_grad) - per_call(put_back)


def main(only=None):
    from fastgrad import optim

    cases = [
        ("SGD 2-16-16-1", (2, 16, 16, 1), lambda o, ps: o.SGD(ps, lr=0.1)),
        ("SGD momentum 2-16-16-1", (2, 16, 16, 1), lambda o, ps: o.SGD(ps, lr=0.1, momentum=0.9)),
        ("Adam 2-16-16-1", (2, 16, 16, 1), lambda o, ps: o.Adam(ps, lr=1e-3)),
        ("Adam 784-128-10", (784, 128, 10), lambda o, ps: o.Adam(ps, lr=1e-3)),
        ("AdamW amsgrad 784-128-10", (784, 128, 10),
         lambda o, ps: o.AdamW(ps, lr=1e-3, amsgrad=True)),
        # the NumPy ones (no C kernel yet), against Adam's C pass above
        ("RMSprop 784-128-10", (784, 128, 10), lambda o, ps: o.RMSprop(ps, lr=1e-3)),
        ("NAdam 784-128-10", (784, 128, 10), lambda o, ps: o.NAdam(ps, lr=1e-3)),
        ("RAdam 784-128-10", (784, 128, 10), lambda o, ps: o.RAdam(ps, lr=1e-3)),
        ("Adamax 784-128-10", (784, 128, 10), lambda o, ps: o.Adamax(ps, lr=1e-3)),
        ("Adadelta 784-128-10", (784, 128, 10), lambda o, ps: o.Adadelta(ps)),
        ("Rprop 784-128-10", (784, 128, 10), lambda o, ps: o.Rprop(ps)),
        ("ASGD 784-128-10", (784, 128, 10), lambda o, ps: o.ASGD(ps)),
        ("Adafactor 784-128-10", (784, 128, 10), lambda o, ps: o.Adafactor(ps)),
    ]
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    print(f"{'case':28s} {'fg step':>9s} {'fg zero_grad':>13s} {'torch step':>11s} "
          f"{'torch zero_grad':>16s}")
    for name, sizes, make in cases:
        if only and not any(word in name for word in only):
            continue
        step, zero = timings(*fastgrad_case(sizes, lambda ps: make(optim, ps)))
        row = f"{name:28s} {step * 1e6:7.2f}us {zero * 1e6:11.2f}us"
        if torch is not None:
            step, zero = timings(*torch_case(sizes, lambda ps: make(torch.optim, ps)))
            row += f" {step * 1e6:9.2f}us {zero * 1e6:14.2f}us"
        print(row, flush=True)


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])  # optional words: time only the cases whose name holds one
