"""explain(): each line's numbers are the backward pass's, checked against backward() and
PyTorch."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.viz import explain

torch = pytest.importorskip("torch")


def num(a):
    """A one-element array or tensor as a float, whatever its number of dimensions."""
    return float(np.asarray(a).reshape(()))


def scalar(v):
    return fg.tensor(np.float64(v), requires_grad=True)


def test_lesson_nested_machines():
    # z = f(g(x)), g(x) = x², f(y) = y/2, at x = 2: dz/dx = dz/dy · dy/dx = 0.5 · 4 = 2
    x = scalar(2.0)
    y = x ** 2
    z = y * 0.5
    e = explain(z, params={"x": x, "y": y, "z": z})
    assert "dz/dy = 0.5" in e.lines[1]
    assert "dz/dx = dz/dy · dy/dx = 0.5 · 4 = 2" in e.lines[2]
    z.backward()
    tx = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (tx ** 2 * 0.5).backward()
    assert num(e.grad(x)) == num(x.grad) == tx.grad.item()
    assert num(e.grad("x")) == 2.0
    step = e.steps[1]
    assert (step.out, step.input) == ("y", "x")
    assert num(step.upstream) * num(step.local) == pytest.approx(num(step.product))


def test_paths_are_summed_like_backward_and_torch():
    a = scalar(0.7)
    b = scalar(-1.3)
    out = a * b + (a * a).exp() - b / a
    e = explain(out, {"a": a, "b": b})
    out.backward()
    ta = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    (ta * tb + (ta * ta).exp() - tb / ta).backward()
    for mine, leaf, ref in ((e.grad(a), a, ta), (e.grad(b), b, tb)):
        assert num(mine) == num(leaf.grad)
        assert num(mine) == pytest.approx(ref.grad.item(), rel=1e-12)
    summed = [line for line in e.lines if "summed over" in line]
    assert summed and summed[0].startswith("dout/da =")


UNARY = [  # (fastgrad op, torch op, x)
    (lambda t: t.exp(), torch.exp, 0.3), (lambda t: t.log(), torch.log, 1.7),
    (lambda t: t.sqrt(), torch.sqrt, 2.5), (lambda t: abs(t), torch.abs, -0.4),
    (lambda t: -t, torch.neg, 0.9), (lambda t: t.relu(), torch.relu, 0.6),
    (lambda t: t.tanh(), torch.tanh, 0.8), (lambda t: t.sigmoid(), torch.sigmoid, -1.1),
    (lambda t: t ** 3, lambda t: t ** 3, 1.2), (lambda t: 2.0 / t, lambda t: 2.0 / t, 0.5),
    (lambda t: t * 3.0, lambda t: t * 3.0, 0.5), (lambda t: 1.0 - t, lambda t: 1.0 - t, 0.5),
    (lambda t: t.sin(), torch.sin, 0.7), (lambda t: t.cos(), torch.cos, 0.7),
    (lambda t: t.log1p(), torch.log1p, 0.2),
    (lambda t: t.clamp(-1.0, 0.5), lambda t: t.clamp(-1.0, 0.5), 0.3),
]


@pytest.mark.parametrize("op,ref,v", UNARY)
def test_local_derivative_of_each_op_matches_torch(op, ref, v):
    x = scalar(v)
    y = op(x)
    (step,) = explain(y).steps
    tx = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(ref(tx), tx)
    assert num(step.local) == pytest.approx(expected.item(), rel=1e-6)
    assert num(step.product) == pytest.approx(expected.item(), rel=1e-6)


def test_fused_mlp_layer_by_layer_equals_backward_and_torch():
    fg.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.ReLU(),
                          nn.Linear(5, 3))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 4)).astype(np.float32)
    y = rng.integers(0, 3, 7)
    loss = nn.functional.cross_entropy(model(fg.tensor(X)), fg.tensor(y))
    params = dict(model.named_parameters())
    e = explain(loss, params)
    layers = [s.out for s in e.steps]
    assert "tanh" in layers and "relu" in layers
    assert layers.count("linear1") == 2  # W and b: x wants no gradient
    assert layers.count("linear2") == layers.count("linear3") == 3
    loss.backward()
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 5),
                                 torch.nn.ReLU(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for name, p in tmodel.named_parameters():
            p.copy_(torch.from_numpy(np.asarray(params[name]).copy()))
    torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(X)), torch.from_numpy(y)).backward()
    tgrads = dict(tmodel.named_parameters())
    for name, p in params.items():
        np.testing.assert_allclose(e.grad(name), np.asarray(p.grad), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(e.grad(p), tgrads[name].grad.numpy(), rtol=1e-4, atol=1e-6)


def test_explain_writes_no_gradient():
    x = scalar(1.5)
    y = x.exp() * x
    explain(y)
    assert x.grad is None
    y.backward()
    np.testing.assert_allclose(num(x.grad), np.exp(1.5) * 2.5, rtol=1e-12)


def test_bad_input_is_refused_clearly():
    x = scalar(1.0)
    with pytest.raises(ValueError, match="leaf"):
        explain(x)
    with pytest.raises(TypeError, match="root must be a fastgrad Tensor"):
        explain(np.ones(3))
    with pytest.raises(TypeError, match="params"):
        explain(x * 2.0, params=[x])
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        explain(y)
    z = x
    for _ in range(400):
        z = z * 1.0
    with pytest.raises(ValueError, match="more than 300 nodes"):
        explain(z)


def test_many_ops_agree_with_backward_and_torch():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 5))
    W = rng.standard_normal((5, 3))
    y = np.array([0, 2, 1, 2])

    def forward(lib, X, W, y):
        if lib is torch:
            h = torch.tanh(X @ W)
            h = torch.nn.functional.layer_norm(h, (3,))
            m = h.max(dim=1).values.sum() + h[1:, :2].abs().mean()
            s = torch.softmax(h, dim=1)
            return torch.nn.functional.cross_entropy(h * 2.0 - 1.0, y) + (s ** 2).sum() * m \
                + (X.exp() / (1.0 + X * X)).sqrt().log().sum()
        F = nn.functional
        h = (X @ W).tanh()
        h = F.layer_norm(h, (3,))
        m = h.max(dim=1).values.sum() + abs(h[1:, :2]).mean()
        s = F.softmax(h, dim=1)
        return F.cross_entropy(h * 2.0 - 1.0, y) + (s ** 2).sum() * m \
            + (X.exp() / (1.0 + X * X)).sqrt().log().sum()

    fx = fg.tensor(X, requires_grad=True)
    fw = fg.tensor(W, requires_grad=True)
    out = forward(fg, fx, fw, fg.tensor(y))
    e = explain(out, {"X": fx, "W": fw})
    out.backward()
    tx = torch.tensor(X, requires_grad=True)
    tw = torch.tensor(W, requires_grad=True)
    forward(torch, tx, tw, torch.tensor(y)).backward()
    for mine, leaf, ref in ((e.grad(fx), fx, tx), (e.grad(fw), fw, tw)):
        np.testing.assert_allclose(mine, np.asarray(leaf.grad), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(mine, ref.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert all("[" in line for line in e.lines[1:])  # every edge names its op


def test_non_scalar_root_takes_a_gradient_like_backward():
    x = fg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * x
    g = np.array([0.5, -1.0, 2.0])
    e = explain(y, gradient=g)
    y.backward(g)
    np.testing.assert_array_equal(e.grad(x), np.asarray(x.grad))
    with pytest.raises(ValueError, match="gradient"):
        explain(y, gradient=np.ones(2))


def test_readme_shows_what_explain_prints():
    import os
    import re

    readme = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    shown = re.search(r"print\(explain\(z, names\)\)\n((?:# .*\n)+)", text).group(1)
    x = scalar(2.0)
    y = x ** 2
    z = y * 0.5
    printed = str(explain(z, {"x": x, "y": y, "z": z}))
    assert [line[2:] for line in shown.splitlines()] == printed.splitlines()


def test_a_users_function_is_explained_with_its_own_backward():
    class Cube(fg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = scalar(1.5)
    y = Cube.apply(x) * 2.0
    e = explain(y, {"x": x, "y": y})
    y.backward()
    assert num(e.grad(x)) == num(x.grad) == pytest.approx(2 * 3 * 1.5 ** 2, rel=1e-12)
    assert "[Cube]" in e.lines[-1]  # an op the table does not know is named, without formula


def test_nan_and_infinity_are_written_not_raised():
    x = scalar(0.0)
    y = x.log() * 2.0  # log 0 = -inf; its derivative 1/0 = inf
    text = str(explain(y, {"x": x, "y": y}))
    assert "inf" in text
    assert np.isinf(num(explain(y, {"x": x}).grad(x)))
    z = (x * 0.0).sqrt() * (x - 1.0).sqrt()  # sqrt(-1) = nan
    assert "nan" in str(explain(z))


def test_joins_and_reductions_agree_with_backward_and_torch():
    rng = np.random.default_rng(9)
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def forward(lib, a, b):
        joined = lib.cat([a, b], 0) if lib is torch else fg.cat([a, b], 0)
        stacked = lib.stack([a, b * 2.0], 0) if lib is torch else fg.stack([a, b * 2.0], 0)
        m = lib.maximum(a, b) if lib is torch else fg.maximum(a, b)
        w = lib.where(a > 0, a, b * b) if lib is torch else fg.where(a > 0, a, b * b)
        return (joined.var() + stacked.norm() + (m * w).sum() + (a[0] * 0.5 + 1.0).prod()
                + lib.minimum(a, b).repeat(2, 1).sum())

    fa, fb = fg.tensor(A, requires_grad=True), fg.tensor(B, requires_grad=True)
    out = forward(fg, fa, fb)
    e = explain(out, {"a": fa, "b": fb})
    out.backward()
    ta, tb = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    forward(torch, ta, tb).backward()
    for mine, leaf, ref in ((e.grad(fa), fa, ta), (e.grad(fb), fb, tb)):
        np.testing.assert_allclose(mine, np.asarray(leaf.grad), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(mine, ref.grad.numpy(), rtol=1e-9, atol=1e-12)
    ops = {line.split("[")[-1].split(":")[0] for line in e.lines[1:]}
    assert {"Cat", "Stack", "Var", "Norm", "Maximum", "Minimum", "Where", "Prod", "Repeat"} <= ops
