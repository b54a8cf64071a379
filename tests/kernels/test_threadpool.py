"""The thread count follows the conventions users of NumPy, scikit-learn and PyTorch rely on:
OMP_NUM_THREADS sets the default when FASTGRAD_NUM_THREADS is unset, and threadpoolctl lists
and limits fastgrad's pool like any BLAS. Checked against threadpoolctl's own reports, the
affinity mask from os.sched_getaffinity, and the threads the process really has (/proc)."""
import os
import subprocess
import sys

import pytest

from conftest import child_python_env
import fastgrad as fg

threadpoolctl = pytest.importorskip("threadpoolctl")


def child_threads(**env_vars):
    """fg.get_num_threads() in a fresh process with the given environment (unset when None)."""
    env, cwd = child_python_env()
    for key in ("FASTGRAD_NUM_THREADS", "OMP_NUM_THREADS"):
        env.pop(key, None)
    env.update({k: v for k, v in env_vars.items() if v is not None})
    code = "import fastgrad; print(fastgrad.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.mark.parametrize("env, expected", [
    ({}, CPUS),
    ({"OMP_NUM_THREADS": "3"}, 3),
    ({"OMP_NUM_THREADS": "3,1"}, 3),          # one count per nesting level: the outer one
    ({"OMP_NUM_THREADS": "x"}, CPUS),          # not a count: ignored, as OpenMP does
    ({"OMP_NUM_THREADS": "0"}, CPUS),
    ({"FASTGRAD_NUM_THREADS": "2", "OMP_NUM_THREADS": "3"}, 2),  # fastgrad's own wins
    ({"FASTGRAD_NUM_THREADS": "bad", "OMP_NUM_THREADS": "3"}, 3),
])
def test_default_thread_count_reads_fastgrad_then_omp_then_the_affinity_mask(env, expected):
    assert child_threads(**env) == expected


def fastgrad_entries(info):
    return [e for e in info if e["user_api"] == "fastgrad"]


def test_threadpool_info_lists_fastgrad_with_its_thread_count(threads):
    fg.set_num_threads(3)
    (entry,) = fastgrad_entries(threadpoolctl.threadpool_info())
    assert entry["internal_api"] == "fastgrad"
    assert entry["num_threads"] == 3 == fg.get_num_threads()
    assert os.path.samefile(entry["filepath"], fg._kernels.__file__)
    assert entry["version"] == fg.__version__


@pytest.mark.parametrize("user_api", [None, "fastgrad"])
def test_threadpool_limits_limits_fastgrad_and_restores_it(threads, user_api):
    fg.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limits=1, user_api=user_api):
        assert fg.get_num_threads() == 1
        (entry,) = fastgrad_entries(threadpoolctl.threadpool_info())
        assert entry["num_threads"] == 1
    assert fg.get_num_threads() == 2


def test_a_limit_on_blas_leaves_fastgrad_alone(threads):
    fg.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert fg.get_num_threads() == 2


def test_threadpool_controller_sets_fastgrad_alone_by_its_api(threads):
    controller = threadpoolctl.ThreadpoolController().select(user_api="fastgrad")
    assert len(controller.lib_controllers) == 1
    with controller.limit(limits=1):
        assert fg.get_num_threads() == 1
    assert fg.get_num_threads() == controller.info()[0]["num_threads"]


# The pool starts its workers lazily, at the first call that may use them, so the threads the
# process holds after a large product show how many the limit really let the kernels use.
COUNT_WORKERS = """
import os, numpy as np, threadpoolctl, fastgrad as fg
fg.set_num_threads(2)
a = fg.tensor(np.ones((512, 512), np.float32))
before = len(os.listdir("/proc/self/task"))
with threadpoolctl.threadpool_limits(limits={limit}, user_api="fastgrad"):
    (a @ a).numpy()
print(len(os.listdir("/proc/self/task")) - before)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux's /proc")
@pytest.mark.parametrize("limit, new_threads", [(1, 0), (2, 1)])
def test_the_limit_bounds_the_threads_the_kernels_start(limit, new_threads):
    env, cwd = child_python_env()
    out = subprocess.run([sys.executable, "-c", COUNT_WORKERS.format(limit=limit)], env=env,
                         cwd=cwd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == new_threads
