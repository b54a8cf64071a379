"""Runs tests/distributed/mpi_worker.py under mpiexec and reads back what each rank saved."""
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import child_python_env

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mpi_worker.py")


def mpiexec():
    """The mpiexec beside this Python (the mpich wheel puts it there), else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")
    if found is None:
        pytest.skip("mpiexec not found: install the `distributed` extra (mpi4py, mpich)")
    pytest.importorskip("mpi4py", reason="mpi4py not installed: the `distributed` extra")
    return found


def run(case, nprocs, outdir, timeout=120, check=True):
    """mpiexec -n nprocs python mpi_worker.py case outdir; returns (process, seconds)."""
    env, cwd = child_python_env(FASTGRAD_NUM_THREADS="1")
    cmd = [mpiexec(), "-n", str(nprocs), sys.executable, WORKER, case, str(outdir)]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.monotonic() - start
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited with {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc, seconds


def results(outdir, nprocs):
    """Each rank's saved arrays, rank 0 first."""
    out = []
    for r in range(nprocs):
        with np.load(os.path.join(outdir, f"rank{r}.npz")) as f:
            out.append({k: f[k] for k in f.files})
    return out
