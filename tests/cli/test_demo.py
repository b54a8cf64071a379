"""python -m fastgrad demo, end to end, as a user runs it."""
import os
import subprocess
import sys

import fastgrad
from fastgrad.__main__ import demo


def test_demo_reaches_the_promised_accuracy():
    acc, seconds = demo(progress=False)
    assert acc >= 0.96 and seconds > 0


def test_demo_command_prints_accuracy_and_time(tmp_path):
    # From an empty folder, as a user would, with the same fastgrad this test imported.
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastgrad.__file__)))
    out = subprocess.run([sys.executable, "-m", "fastgrad", "demo"], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "test accuracy: 0.9" in out.stdout and "training time:" in out.stdout
    # stderr is a pipe here, not a terminal: no progress bar, on either stream
    assert "%|" not in out.stdout + out.stderr and "\r" not in out.stdout + out.stderr
