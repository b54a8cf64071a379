"""What the training-step benchmarks share."""
import os

import pytest


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
