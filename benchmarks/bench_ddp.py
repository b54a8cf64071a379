"""Data-parallel training on one machine: 2 ranks x 1 thread against 1 rank x 2 threads and 1 x 1.

    PYTHONPATH=. python benchmarks/bench_ddp.py [--workloads M L] [--rounds 3]
    pytest benchmarks/bench_ddp.py      # each configuration once (FASTGRAD_BENCH_FULL=1: M and L)

Each configuration runs in its own processes (the 2-rank one under mpiexec), the three
interleaved round by round so that a slow spell of the machine falls on all of them; the
figures are medians over rounds of the median step. One step is the peers' training step
(benchmarks/peers.py: forward, loss, backward, Adam) on the workload's global batch: the
2-rank run gives each rank half of it and wraps the model in DistributedDataParallel.

Reported per workload: seconds per step of each configuration; the 2-rank run's time inside
the gradient averaging per step (the all-reduce, including any wait for the slower rank) and
that of an all-reduce of the same buffer alone; the speedups and the scaling efficiency
(1x1 time / (2 x 2-rank time)).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peers import WORKLOADS, batch_for  # noqa: E402

CONFIGS = {"2x1": (2, 1), "1x2": (1, 2), "1x1": (1, 1)}  # ranks, threads per rank


def build(w, dtype=np.float32):
    import fastgrad as fg
    from fastgrad import nn

    fg.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(w.sizes) - 2 else [])
    return nn.Sequential(*layers)


def worker(name, steps, warmup):
    """One configuration's process (one rank of it under mpiexec): prints a JSON line."""
    import fastgrad as fg
    from fastgrad import nn, optim

    w = WORKLOADS[name]
    x, y = batch_for(w)
    model = build(w)
    ranks, rank, ddp = 1, 0, None
    if os.environ.get("PMI_RANK") is not None:  # started by mpiexec: data-parallel
        import fastgrad.distributed as dist
        from fastgrad.nn.parallel import DistributedDataParallel

        dist.init_process_group("mpi")
        ranks, rank = dist.get_world_size(), dist.get_rank()
        local = w.batch // ranks
        x, y = x[rank * local:(rank + 1) * local], y[rank * local:(rank + 1) * local]
        model = ddp = DistributedDataParallel(model)
    opt = optim.Adam(model.parameters(), lr=w.lr)
    loss_fn = nn.CrossEntropyLoss() if w.loss == "ce" else nn.MSELoss()
    sync_seconds = [0.0]
    if ddp is not None:  # time the gradient averaging inside each step
        averaging = ddp._sync_gradients

        def timed():
            t0 = time.perf_counter()
            averaging()
            sync_seconds[0] += time.perf_counter() - t0
        object.__setattr__(ddp, "_sync_gradients", timed)

    times, syncs = [], []
    for i in range(warmup + steps):
        sync_seconds[0] = 0.0
        t0 = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
            syncs.append(sync_seconds[0])
    out = {"step": float(np.median(times)), "sync": float(np.median(syncs)),
           "threads": fg.get_num_threads(), "ranks": ranks}
    if ddp is not None:  # the same all-reduce with no compute around it
        from fastgrad.distributed import collectives, process_group

        comm = process_group._comm()
        buf = ddp._buckets[0].buffer
        alone = []
        for _ in range(max(5, steps)):
            comm.Barrier()
            t0 = time.perf_counter()
            collectives.reduce_in_rank_order(comm, buf)
            alone.append(time.perf_counter() - t0)
        out["allreduce_alone"] = float(np.median(alone))
        out["buffer_bytes"] = int(buf.nbytes)
    if rank == 0:
        print(json.dumps(out), flush=True)


def mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")


def run_config(config, name, steps, warmup):
    ranks, threads = CONFIGS[config]
    import fastgrad

    env = dict(os.environ, FASTGRAD_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(fastgrad.__file__))))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--steps", str(steps),
           "--warmup", str(warmup)]
    if ranks > 1:
        cmd = [mpiexec(), "-n", str(ranks)] + cmd
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["M", "L"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=0, help="timed steps (default per workload)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.steps or 10, args.warmup)
    if mpiexec() is None:
        raise SystemExit("mpiexec not found: pip install 'fastgrad[distributed]'")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for name in args.workloads:
        steps = args.steps or {"L": 5}.get(name, 30)
        runs = {c: [] for c in CONFIGS}
        for _ in range(args.rounds):
            for config in CONFIGS:
                runs[config].append(run_config(config, name, steps, args.warmup))
        med = {c: {k: float(np.median([r[k] for r in rs])) for k in rs[0]}
               for c, rs in runs.items()}
        one, two_ranks, two_threads = med["1x1"]["step"], med["2x1"], med["1x2"]["step"]
        w = WORKLOADS[name]
        print(f"\n{name}: sizes {w.sizes}, global batch {w.batch}, Adam, float32, "
              f"{args.rounds} rounds x {steps} steps")
        for config in CONFIGS:
            print(f"  {config:>4} (ranks x threads): {med[config]['step'] * 1e3:8.1f} ms/step")
        print(f"  2x1 gradient averaging in the step: {two_ranks['sync'] * 1e3:.1f} ms "
              f"({100 * two_ranks['sync'] / two_ranks['step']:.0f} % of the step); "
              f"all-reduce alone of its {two_ranks['buffer_bytes'] / 1e6:.1f} MB buffer: "
              f"{two_ranks['allreduce_alone'] * 1e3:.1f} ms")
        print(f"  speedup over 1x1: 2x1 {one / two_ranks['step']:.2f}, 1x2 "
              f"{one / two_threads:.2f}; 2-rank scaling efficiency "
              f"{one / (2 * two_ranks['step']):.0%}")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


def test_ddp_configurations(benchmark):
    """Each configuration's step, run once in its own processes (quick: M, a few steps); the
    timed figure is the whole run, the per-step medians are in extra_info."""
    import pytest

    from mode import pick

    if mpiexec() is None:
        pytest.skip("mpiexec not found: install the `distributed` extra (mpi4py, mpich)")
    pytest.importorskip("mpi4py", reason="mpi4py not installed: the `distributed` extra")
    names, steps = pick((["M"], 3), (["M", "L"], 5))

    def everything():
        return {f"{name} {config}": run_config(config, name, steps, 1)
                for name in names for config in CONFIGS}

    figures = benchmark.pedantic(everything, rounds=1, iterations=1)
    for label, fig in figures.items():
        benchmark.extra_info[label + " ms/step"] = round(fig["step"] * 1e3, 2)
        assert fig["ranks"] == CONFIGS[label.split()[1]][0]
        assert fig["threads"] == CONFIGS[label.split()[1]][1]


if __name__ == "__main__":
    main()
