"""plot_losses and `fastgrad demo --plot`: the curves hold the losses given, the file is an
image matplotlib reads back."""
import subprocess
import sys

import numpy as np
import pytest
from conftest import child_python_env

from fastgrad.__main__ import demo

pytest.importorskip("matplotlib")
from fastgrad.viz import plot_losses  # noqa: E402


def test_curves_hold_the_losses_and_save_as_png(tmp_path):
    import matplotlib.image

    train, test = [2.3, 1.1, 0.6, 0.4], [2.2, 1.3, 0.9, 0.8]
    fig = plot_losses(train, test, path=tmp_path / "c.png")
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), train)
    np.testing.assert_array_equal(lines[1].get_ydata(), test)
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4])
    image = matplotlib.image.imread(tmp_path / "c.png")
    assert image.shape[:2] == (480, 720)  # 6 x 4 inches at 120 dpi


def test_bad_losses_are_refused():
    with pytest.raises(ValueError, match="train is empty"):
        plot_losses([])
    with pytest.raises(ValueError, match=r"test\[1\] is nan"):
        plot_losses([1.0, 0.5], [1.0, float("nan")])
    with pytest.raises(TypeError, match="train must be a sequence of numbers"):
        plot_losses(["a"])


def test_demo_history_is_the_losses_per_epoch():
    history = {}
    acc, _ = demo(epochs=3, progress=False, history=history)
    assert len(history["train"]) == len(history["test"]) == 3
    # Cross-entropy over 10 classes starts near chance, ln 10, and falls as accuracy rises.
    assert history["train"][-1] < history["train"][0] < np.log(10)
    assert history["test"][-1] < history["test"][0] < np.log(10)
    assert acc > 0.9


def test_demo_command_writes_the_plot(tmp_path):
    env, _ = child_python_env()
    out = subprocess.run([sys.executable, "-m", "fastgrad", "demo",
                          "--plot", "curve.png"], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "loss curves: curve.png" in out.stdout
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_without_plot_imports_no_plotting_library():
    env, cwd = child_python_env()
    code = ("import sys; from fastgrad.__main__ import main; main(['demo', '--epochs', '1', "
            "'--no-progress']); print(sorted(m for m in ('matplotlib', 'graphviz') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, env=env, cwd=cwd)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("[]")
