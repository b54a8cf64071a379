"""Faults under mpiexec: a raising rank ends the job, a mismatched model is refused, and a
checkpoint written by rank 0 alone loads in one process."""
import os
import time

import numpy as np
import pytest
from mpi_launch import results, run
from mpi_worker import make_problem

import fastgrad as fg


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("case", ["raises", "exits"])
def test_a_failing_rank_ends_every_rank_within_seconds(tmp_path, case, n):
    # The other ranks wait in all_reduce for the one that raised (or called sys.exit(3)):
    # without the abort they would wait forever (the timeout makes that a failure, not a
    # hung suite).
    proc, _ = run(case, n, tmp_path, timeout=60, check=False)
    seconds = time.time() - float((tmp_path / "failed_at").read_text())
    assert proc.returncode != 0
    assert seconds < 20, f"the job took {seconds:.1f} s to end after the failure"
    assert f"deliberate failure on rank {n - 1}" in proc.stderr
    assert "got past the collective" not in proc.stdout


@pytest.mark.parametrize("n", [2, 4])
def test_mismatched_models_are_refused_on_every_rank(tmp_path, n):
    run("mismatch", n, tmp_path)
    ranks = results(tmp_path, n)
    for res in ranks:
        message = str(res["message"])
        assert "every rank must build the same model" in message
        assert "'0.weight' of shape (16, 10)" in message and "rank 1" in message
        assert "(17, 10)" in message


def test_checkpoint_by_rank_0_loads_in_one_process(tmp_path):
    run("checkpoint", 2, tmp_path)
    ranks = results(tmp_path, 2)
    # one file each, and no temporary left behind
    assert sorted(os.listdir(tmp_path)) == ["ddp.safetensors", "model.safetensors",
                                            "rank0.npz", "rank1.npz"]
    _, _, model = make_problem("float32")
    model.load_state_dict(fg.load(str(tmp_path / "model.safetensors")))
    ddp_state = fg.load(str(tmp_path / "ddp.safetensors"))
    assert sorted(ddp_state) == sorted("module." + k for k in ranks[0])
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(value), ranks[0][key])
        np.testing.assert_array_equal(np.asarray(value), ranks[1][key])
        np.testing.assert_array_equal(np.asarray(ddp_state["module." + key]), ranks[1][key])
    start = make_problem("float32")[2].state_dict()
    assert np.abs(np.asarray(start["0.weight"]) - ranks[0]["0.weight"]).max() > 1e-3
