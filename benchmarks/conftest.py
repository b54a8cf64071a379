"""What the benchmarks share: the quick or full mode (benchmarks/mode.py) and the thread count
of the training-step benchmarks."""
import os

import pytest

from mode import FULL

QUICK_MAX_TIME = 0.25  # s per benchmark, against pytest-benchmark's default of 1


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Quick mode: shorter timing per benchmark unless --benchmark-max-time was given."""
    option = getattr(config.option, "benchmark_max_time", None)
    if not FULL and option is not None and "--benchmark-max-time" not in " ".join(
            config.invocation_params.args):
        config.option.benchmark_max_time = QUICK_MAX_TIME


@pytest.fixture(scope="module")
def step_threads():
    """The thread count of a training-step benchmark module: FASTGRAD_BENCH_THREADS (default 1),
    given to fastgrad and, through threadpoolctl when it imports, to every BLAS in the process,
    so frameworks timed side by side get the same number of threads."""
    import fastgrad

    threads = int(os.environ.get("FASTGRAD_BENCH_THREADS", "1"))
    fastgrad.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield threads
        return
    with threadpool_limits(limits=threads):
        yield threads
