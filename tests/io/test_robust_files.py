"""Checkpoints survive crashes: what tests/test_io.py does not already cover.

A save that dies at the final rename, or a process killed (SIGKILL, no cleanup) at random
moments while it saves, leaves the previous checkpoint whole and loadable.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import child_python_env
import fastgrad as fg
from fastgrad import io


def test_failing_rename_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    fg.save({"w": np.arange(4.0)}, path)
    before = path.read_bytes()

    def failing_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(io.os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        fg.save({"w": np.zeros(4)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


SAVER = """
import sys, numpy as np, fastgrad as fg
path = sys.argv[1]
print("ready", flush=True)
k = 1
while True:  # each version: 4 MB all equal to k, so a torn file would show mixed values
    fg.save({"w": np.full((1024, 1024), k, np.float32), "step": np.array([k])}, path)
    k += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killing_a_process_mid_save_leaves_a_whole_checkpoint(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    fg.save({"w": np.zeros((1024, 1024), np.float32), "step": np.array([0])}, path)
    env, cwd = child_python_env()
    rng = np.random.default_rng(0)
    last_step = 0
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], env=env, cwd=cwd,
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(float(rng.uniform(0.05, 0.4)))  # lands anywhere in the write cycle
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
        state = fg.load(path)  # never torn: one complete version or the previous one
        k = int(state["step"][0])
        assert state["w"].shape == (1024, 1024)
        assert np.all(state["w"] == k)
        assert k >= 0
        last_step = max(last_step, k)
    assert last_step > 0  # the killed savers did replace the file at times
