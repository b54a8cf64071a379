"""examples/lesson/: each script runs (its own asserts compare by hand, finite differences and
NumPy with backward()), and its results agree with PyTorch."""
import os
import runpy

import numpy as np
import pytest

pytest.importorskip("graphviz")
pytest.importorskip("matplotlib")
torch = pytest.importorskip("torch")

LESSON = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples", "lesson")


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Runs a lesson script by name in an empty folder, headless; returns its globals."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def run_script(name):
        return runpy.run_path(os.path.join(LESSON, name), run_name="__main__")
    yield run_script
    plt.close("all")


def test_every_lesson_script_is_tested():
    scripts = sorted(f for f in os.listdir(LESSON) if f.endswith(".py"))
    assert scripts == ["01_nested_machines.py", "02_gas_pedal.py", "03_one_neuron.py",
                       "04_mlp_backprop.py"]


def test_01_nested_machines(run, capsys):
    g = run("01_nested_machines.py")
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    ((x ** 2) * 0.5).backward()
    assert g["by_backward"] == x.grad.item() == 2.0
    assert "dz/dx = dz/dy · dy/dx = 0.5 · 4 = 2" in capsys.readouterr().out
    assert "<b>grad</b> 2<" in g["draw"](g["z"], g["names"]).source


def test_02_gas_pedal(run):
    g = run("02_gas_pedal.py")
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (torch.tanh((x ** 2 * 6000 + 800) / 4000) * 120).backward()
    assert g["dz_dx"] == pytest.approx(x.grad.item(), rel=1e-12)
    xs = torch.linspace(0, 1, 101, dtype=torch.float64, requires_grad=True)
    (torch.tanh((xs ** 2 * 6000 + 800) / 4000) * 120).sum().backward()
    np.testing.assert_allclose(np.asarray(g["pedals"].grad), xs.grad.numpy(), rtol=1e-10)


def test_03_one_neuron(run):
    g = run("03_one_neuron.py")
    w = torch.tensor(g["w_np"], requires_grad=True)
    b = torch.tensor(g["b_np"], dtype=torch.float64, requires_grad=True)
    a = torch.sigmoid(w @ torch.tensor(g["x_np"]) + b)
    ((a - g["t_np"]) ** 2).backward()
    np.testing.assert_allclose(np.asarray(g["w"].grad), w.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g["dL_dw_hand"], w.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(g["neuron"][0].bias.grad), [b.grad.item()],
                               rtol=1e-12)


def test_04_mlp_backprop(run):
    g = run("04_mlp_backprop.py")
    # The NumPy chain rule against PyTorch's autograd, on the same weights and batch.
    W1, b1, W2, b2 = (torch.tensor(g[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2"))
    x = torch.tensor(g["X_train"][:16], dtype=torch.float64)
    y = torch.tensor(g["y_train"][:16])
    logits = torch.relu(x @ W1.T + b1) @ W2.T + b2
    torch.nn.functional.cross_entropy(logits, y).backward()
    for name, t in (("0.weight", W1), ("0.bias", b1), ("2.weight", W2), ("2.bias", b2)):
        np.testing.assert_allclose(g["by_numpy"][name], t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert g["accuracy"] >= 0.95
    assert g["test_losses"][-1] < g["test_losses"][0]
