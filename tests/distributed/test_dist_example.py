"""examples/train_ddp.py: 2 ranks train the digits MLP that 1 process trains, and rank 0's
checkpoint loads into the plain model."""
import os
import re
import subprocess
import sys

import numpy as np
from conftest import child_python_env
from mpi_launch import mpiexec

import fastgrad as fg
from fastgrad import nn

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples",
                       "train_ddp.py")


def train(tmp_path, ranks):
    out = tmp_path / f"ranks{ranks}.safetensors"
    env, cwd = child_python_env(FASTGRAD_NUM_THREADS="1")
    cmd = [sys.executable, os.path.abspath(EXAMPLE), "--epochs", "4", "--out", str(out)]
    if ranks > 1:
        cmd = [mpiexec(), "-n", str(ranks)] + cmd
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", proc.stdout).group(1))
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict(fg.load(str(out)))
    return accuracy, {k: np.array(v) for k, v in model.state_dict().items()}


def test_two_ranks_train_the_one_process_model(tmp_path):
    accuracy2, two = train(tmp_path, 2)
    accuracy1, one = train(tmp_path, 1)
    assert accuracy2 > 0.9 and accuracy1 > 0.9
    for key in one:
        # measured 4.8e-8 after 88 Adam steps; one step moves a weight by up to lr = 1e-3
        np.testing.assert_allclose(two[key], one[key], rtol=0, atol=1e-6, err_msg=key)
    assert sorted(os.listdir(tmp_path)) == ["ranks1.safetensors", "ranks2.safetensors"]
