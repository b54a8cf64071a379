"""Quick or full: how much `pytest benchmarks/` measures.

By default (quick) each suite runs a representative subset with few rounds, so that the whole
folder finishes in under a minute on 2 cores: enough to see fastgrad beside PyTorch and NumPy
in every group. FASTGRAD_BENCH_FULL=1 runs every shape, dtype, thread count and workload with
the rounds the README's figures came from (several minutes).
"""
import os

FULL = os.environ.get("FASTGRAD_BENCH_FULL") == "1"


def pick(quick, full):
    """`full` under FASTGRAD_BENCH_FULL=1, else `quick`."""
    return full if FULL else quick


def threads_label(n):
    return f"{n} thread{'s' if n > 1 else ''}"
