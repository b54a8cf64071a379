"""The PyTorch tutorials' manual-SGD step against the optim.SGD step, on fastgrad.

The idiom (pytorch/tutorials examples_nn) updates each parameter by hand:

    loss = loss_fn(model(x), y); loss.item()
    model.zero_grad(); loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad

The reference step is the same with `opt.zero_grad(); ...; opt.step()` (one binding call for
every parameter). Both read `loss.item()` every step. Workloads T and S of benchmarks/peers.py;
each (step, workload) is timed in its own process, the two steps alternating round by round;
medians of the rounds, 1 thread unless --threads says otherwise.

    PYTHONPATH=. python benchmarks/bench_idiom_step.py [--rounds 5] [--workloads T,S]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def make_step(kind, workload):
    """One training step of the workload, by hand ("idiom") or with optim.SGD ("sgd")."""
    import fastgrad as fg
    from fastgrad import nn, optim
    import peers

    w = peers.WORKLOADS[workload]
    fg.manual_seed(0)
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[w.activation]
    layers = []
    for i, (a, b) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers += [nn.Linear(a, b)] + ([act()] if i < len(w.sizes) - 2 else [])
    model = nn.Sequential(*layers)
    x, y = peers.batch_for(w)
    loss_fn = nn.CrossEntropyLoss() if w.loss == "ce" else nn.MSELoss()
    lr = 1e-3 if w.loss == "ce" else w.lr

    if kind == "idiom":
        def step():
            loss = loss_fn(model(x), y)
            loss.item()
            model.zero_grad()
            loss.backward()
            with fg.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
        return step

    opt = optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.item()
        loss.backward()
        opt.step()
    return step


def _worker(kind, workload, threads):
    import fastgrad as fg
    import peers

    fg.set_num_threads(threads)
    return peers.time_step(make_step(kind, workload), min_seconds=0.5)


def measure(kind, workload, threads):
    code = (f"import json, bench_idiom_step as b; "
            f"print(json.dumps(b._worker({kind!r}, {workload!r}, {threads})))")
    env = dict(os.environ, FASTGRAD_NUM_THREADS=str(threads),
               PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), HERE,
                                           os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workloads", default="T,S")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"{'workload':<8} {'optim.SGD':>12} {'idiom':>12} {'idiom/SGD':>10}   "
          f"(median of {args.rounds} rounds, {args.threads} thread(s))")
    for workload in args.workloads.split(","):
        times = {"sgd": [], "idiom": []}
        for r in range(args.rounds):
            for kind in (("sgd", "idiom") if r % 2 == 0 else ("idiom", "sgd")):
                times[kind].append(measure(kind, workload, args.threads))
        sgd, idiom = (statistics.median(times[k]) for k in ("sgd", "idiom"))
        print(f"{workload:<8} {sgd * 1e6:>10.1f}us {idiom * 1e6:>10.1f}us {idiom / sgd:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
