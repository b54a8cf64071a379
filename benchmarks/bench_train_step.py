"""Training-step benchmarks (pytest-benchmark): fastgrad, PyTorch eager and NumPy by hand on
the six workloads of benchmarks/peers.py, one framework at a time.

    pytest benchmarks/bench_train_step.py       # quick: T, S, M and I1, fewer rounds
    FASTGRAD_BENCH_FULL=1 pytest benchmarks/bench_train_step.py   # all six, full rounds

Each group is one workload at one thread count, holding the three frameworks side by side.

Each framework's thread pool is limited to the same thread count (FASTGRAD_BENCH_THREADS,
default 1) with threadpoolctl; for strict isolation (one process per framework, interleaved
rounds) run `python -m fastgrad bench`, which reports the same steps as a table of ratios.
NumPy's baseline is fair only with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in the
command that runs it (these machines set them for old OpenBLAS builds).
"""
import pytest

import peers as bench
from mode import FULL, pick, threads_label

WORKLOADS = list(bench.WORKLOADS) if FULL else ["T", "S", "M", "I1"]


@pytest.mark.parametrize("framework", bench.FRAMEWORKS)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_train_step(benchmark, step_threads, workload, framework):
    if framework == "torch":
        torch = pytest.importorskip("torch")
        torch.set_num_threads(step_threads)
    step = bench.STEP_FACTORIES[framework](bench.WORKLOADS[workload])
    benchmark.group = f"training step {workload}, {threads_label(step_threads)}"
    # Full: enough rounds for a stable median on a noisy machine (about 0.3 s a workload), and
    # warm-up enough to bring the caches back from the framework that ran before.
    rounds = {"L": 3, "M": 60, "I1024": 30}.get(workload, 300)
    rounds = pick(quick=max(3, rounds // 6), full=rounds)
    benchmark.pedantic(step, rounds=rounds, iterations=1, warmup_rounds=min(rounds, 20))


def test_time_to_97_percent_on_digits(benchmark, step_threads):
    """Timed: the training epochs and the accuracy check after each; the data split and the
    model's construction happen in setup, outside the clock."""
    result = {}

    def train(run):
        result["seconds"], result["epochs"], result["accuracy"] = bench.train_to_accuracy(run)

    benchmark.group = f"digits to 97 % test accuracy, {threads_label(step_threads)}"
    benchmark.pedantic(train, setup=lambda: ((bench.digits_run(),), {}),
                       rounds=pick(quick=2, full=5), warmup_rounds=1)
    benchmark.extra_info.update(result)  # training time alone, the figure bench prints
    assert result["accuracy"] >= 0.97
