"""fg.autograd.grad / fg.autograd.backward / Tensor.backward(inputs=...) against torch 2.13."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn.functional as F

torch = pytest.importorskip("torch")


def pair(shape, seed, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (fg.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def assert_same(ours, theirs):
    assert (ours is None) == (theirs is None)
    if ours is not None:
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


def models(seed=0):
    """The same 3-8-8-2 MLP in both libraries, float64, written as a custom Module's forward
    (fastgrad fuses it into one dense-stack node) and run on one batch."""
    rng = np.random.default_rng(seed)
    shapes = [(8, 3), (8,), (8, 8), (8,), (2, 8), (2,)]
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [fg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    x = rng.standard_normal((5, 3))

    def run(lib, p, fn):
        h = fn.relu(lib.linear(lib_x(lib), p[0], p[1]))
        h = lib.tanh(lib.linear(h, p[2], p[3]))
        return lib.linear(h, p[4], p[5])

    def lib_x(lib):
        return fg.tensor(x) if lib is F else torch.tensor(x)
    out_ours = run(F, ours, F)
    out_theirs = run(torch.nn.functional, theirs, torch)
    return ours, theirs, out_ours, out_theirs


def test_grad_of_a_fused_mlp_matches_torch_and_leaves_grad_untouched():
    ours, theirs, yo, yt = models()
    go = fg.autograd.grad((yo ** 2).sum(), ours)
    gt = torch.autograd.grad((yt ** 2).sum(), theirs)
    for a, b in zip(go, gt):
        assert_same(a, b)
    assert all(p.grad is None for p in ours)


def test_grad_with_grad_outputs_and_several_outputs():
    ours, theirs, yo, yt = models(1)
    seed = np.random.default_rng(2).standard_normal((5, 2))
    go = fg.autograd.grad([yo, yo.sum()], ours[::2], grad_outputs=[fg.tensor(seed), None])
    gt = torch.autograd.grad([yt, yt.sum()], theirs[::2],
                             grad_outputs=[torch.tensor(seed), None])
    for a, b in zip(go, gt):
        assert_same(a, b)


def test_grad_of_an_intermediate_runs_hooks_and_retain_grad_as_torch_does():
    results = []
    for lib, x, w in zip((fg, torch), pair(3, 0), pair(3, 1)):
        calls = []
        y = x * w
        y.retain_grad()
        y.register_hook(lambda g, calls=calls: calls.append("y"))
        x.register_hook(lambda g, calls=calls: calls.append("x") or g * 10)
        z = (y * y).sum()
        gx, gy = lib.autograd.grad(z, [x, y], retain_graph=True)
        results.append((gx, gy, y.grad, x.grad, w.grad, calls))
    (a, b) = results
    for u, v in zip(a[:5], b[:5]):
        assert_same(u, v)
    assert a[5] == b[5]


def test_grad_runs_only_what_leads_to_the_inputs():
    calls = []
    x, w = pair(3, 0)[0], pair(3, 1)[0]
    below = x * 2
    below.register_hook(lambda g: calls.append("below"))
    y = below * w
    (gy,) = fg.autograd.grad(y.sum(), y)  # y's own node need not run
    np.testing.assert_array_equal(gy.numpy(), np.ones(3))
    assert calls == []
    # ... and it was not released: a backward through it still works
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * w.detach().numpy())


@pytest.mark.parametrize("materialize", [False, True])
def test_unused_inputs(materialize):
    (xo, xt), (uo, ut) = pair(3, 0), pair(2, 1)
    with pytest.raises(RuntimeError, match=r"inputs\[1\] was not used"):
        fg.autograd.grad((xo * 2).sum(), [xo, uo])
    go = fg.autograd.grad((xo * 2).sum(), [xo, uo], allow_unused=True,
                          materialize_grads=materialize)
    gt = torch.autograd.grad((xt * 2).sum(), [xt, ut], allow_unused=True,
                             materialize_grads=materialize)
    for a, b in zip(go, gt):
        assert_same(a, b)


def test_grad_refusals_name_the_argument():
    x = pair(3, 0)[0]
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        fg.autograd.grad((x * 2).sum(), fg.ones(3))
    with pytest.raises(RuntimeError, match="scalar output"):
        fg.autograd.grad(x * 2, x)
    with pytest.raises(ValueError, match=r"grad_outputs\[0\]: gradient shape"):
        fg.autograd.grad(x * 2, x, grad_outputs=fg.ones(2))
    with pytest.raises(ValueError, match="grad_outputs has 2 entries for 1 outputs"):
        fg.autograd.grad(x * 2, x, grad_outputs=[fg.ones(3), fg.ones(3)])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a Tensor"):
        fg.autograd.grad((x * 2).sum(), [np.ones(3)])
    with pytest.raises(NotImplementedError, match="create_graph"):
        fg.autograd.grad((x * 2).sum(), x, create_graph=True)


def test_grad_releases_the_graph_unless_retained():
    for lib, x in zip((fg, torch), pair(3, 0)):
        z = (x * x).sum()
        lib.autograd.grad(z, x)
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            lib.autograd.grad(z, x)


def test_grad_of_a_leaf_output_is_its_grad_output():
    (xo, xt), seed = pair(3, 0), np.arange(3.0)
    assert_same(fg.autograd.grad(xo, xo, fg.tensor(seed))[0],
                torch.autograd.grad(xt, xt, torch.tensor(seed))[0])


def test_autograd_backward_of_several_tensors_accumulates_as_torch():
    ours, theirs, yo, yt = models(3)
    fg.autograd.backward([yo.sum(), (yo ** 2).mean()])
    torch.autograd.backward([yt.sum(), (yt ** 2).mean()])
    for a, b in zip(ours, theirs):
        assert_same(a.grad, b.grad)


def test_backward_with_inputs_changes_only_their_grad():
    ours, theirs, yo, yt = models(4)
    (yo ** 2).sum().backward(inputs=[ours[0], ours[5]])
    (yt ** 2).sum().backward(inputs=[theirs[0], theirs[5]])
    for a, b in zip(ours, theirs):
        assert_same(a.grad, b.grad)
    assert ours[1].grad is None
    # a non-leaf input gets its .grad too, as in torch
    results = []
    for lib, a in zip((fg, torch), pair(2, 5)):
        b = a * 2
        b.backward(lib.ones(2, dtype=lib.float64), inputs=[b])
        results.append((b.grad, a.grad))
    assert_same(results[0][0], results[1][0])
    assert results[0][1] is None and results[1][1] is None


def test_autograd_namespace_has_gradcheck():
    x = fg.tensor(np.random.default_rng(0).standard_normal(4), requires_grad=True)
    assert fg.autograd.gradcheck(lambda t: (t * t).tanh(), (x,))
