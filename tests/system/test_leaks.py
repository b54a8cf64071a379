"""Memory stays flat while training: tools/leak_check.py, run as its own process.

The full check (10,000 steps of a 784-512-256-10 MLP, about a minute on two cores) runs in
.ci/run after the test suite; here a shorter run of the same script keeps the suite quick,
and a deliberate leak shows that the measurement notices one.
"""
import os
import subprocess
import sys

import pytest

import fastgrad

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "tools",
                      "leak_check.py")


def leak_check(*args):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastgrad.__file__)))
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.slow
def test_training_keeps_rss_flat():
    out = leak_check("--steps", "1500", "--warmup", "300", "--limit-mb", "5")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "growth after it" in out.stdout


@pytest.mark.slow
def test_a_leak_of_8_kb_per_step_is_caught():
    # 1,200 measured steps x 8 KB = 9.4 MB: far above the 5 MB limit
    out = leak_check("--steps", "1500", "--warmup", "300", "--limit-mb", "5", "--leak-bytes", "8192")
    assert out.returncode == 1, out.stdout + out.stderr
