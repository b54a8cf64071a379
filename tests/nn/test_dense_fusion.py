"""A custom Module's Linear -> activation -> Linear chain is recorded as ONE dense-stack node at
forward time (_engine.dense_extend_activation, dense_extend_linear), as a Sequential's run is.

Checked against PyTorch 2.13 with the same weights (values and every gradient), against the
unfused path (a `* 1.0` between the ops stops fusion: the same values must come out, bit for
bit), and in PyTorch's semantics that fusion must keep: hooks and retain_grad on an
intermediate (set before or after the next op), in-place changes of a saved intermediate,
a second backward, grad modes, frozen and shared weights, batch dimensions."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.functions.dense import DenseStackFunction
from fastgrad.nn import functional as F

from conftest import torch_or_skip

SIZES = (3, 8, 6, 2)
TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}

# Each style of writing an activation, as (fastgrad's, PyTorch's); `lib` is fg or torch.
STYLES = {
    "F.relu": (lambda x: F.relu(x), lambda x, torch: torch.nn.functional.relu(x)),
    "torch.tanh": (lambda x: fg.tanh(x), lambda x, torch: torch.tanh(x)),
    "x.sigmoid()": (lambda x: x.sigmoid(), lambda x, torch: x.sigmoid()),
    "nn.ReLU()": (lambda x: nn.ReLU()(x), lambda x, torch: torch.nn.ReLU()(x)),
    "leaky_relu(0.2)": (lambda x: F.leaky_relu(x, 0.2),
                        lambda x, torch: torch.nn.functional.leaky_relu(x, 0.2)),
    "F.gelu": (lambda x: F.gelu(x), lambda x, torch: torch.nn.functional.gelu(x)),  # reads x
}


def layers(dtype, sizes=SIZES, seed=0):
    fg.manual_seed(seed)
    return [nn.Linear(a, b, dtype=dtype) for a, b in zip(sizes[:-1], sizes[1:])]


def torch_layers(torch, fcs):
    out = []
    for fc in fcs:
        t = torch.nn.Linear(fc.in_features, fc.out_features,
                            dtype=torch.float64 if fc.weight.dtype == np.float64 else torch.float32)
        t.load_state_dict({k: torch.tensor(np.array(v)) for k, v in fc.state_dict().items()})
        out.append(t)
    return out


def chain(x, fcs, act, barrier=False, last_act=False, keep=None):
    """fc_n(act(...act(fc_1(x)))): a custom Module's forward. barrier puts `* 1.0` after every
    op (same values, no fusion); keep collects each intermediate (pre, post) in order."""
    for i, fc in enumerate(fcs):
        x = fc(x)
        x = x * 1.0 if barrier else x
        if i < len(fcs) - 1 or last_act:
            if keep is not None:
                keep.append(x)
            x = act(x)
            x = x * 1.0 if barrier else x
            if keep is not None and i < len(fcs) - 1:
                keep.append(x)
    return x


def fused_layers(out):
    """How many layers the output's node holds (0: not a dense-stack node)."""
    ctx = out.grad_fn
    if ctx is None or ctx.fn is not DenseStackFunction:
        return 0
    assert len(ctx.parents) == 3 + 2 * len(ctx.acts)
    return len(ctx.acts)


def params(fcs):
    return [p for fc in fcs for p in (fc.weight, fc.bias)]


def grads(tensors):
    return [None if t.grad is None else np.array(t.grad) for t in tensors]


def run(x_np, dtype, style, *, barrier=False, last_act=False, shape=None, x_grad=True,
        frozen=()):
    """Forward and backward of the chain in fastgrad: (out, [grads of params and x], fcs)."""
    fcs = layers(dtype)
    for i in frozen:
        fcs[i].weight.requires_grad_(False)
    x = fg.tensor(x_np, dtype=dtype, requires_grad=x_grad)
    out = chain(x, fcs, STYLES[style][0], barrier=barrier, last_act=last_act)
    out.backward(np.cos(np.arange(out.numel())).reshape(out.shape))
    return out, grads(params(fcs) + [x]), fcs


def run_torch(torch, x_np, dtype, style, fcs, last_act=False, x_grad=True, frozen=()):
    tl = torch_layers(torch, fcs)
    for i in frozen:
        tl[i].weight.requires_grad_(False)
    x = torch.tensor(x_np, requires_grad=x_grad)
    act = lambda t: STYLES[style][1](t, torch)  # noqa: E731
    out = chain(x, tl, act, last_act=last_act)
    out.backward(torch.tensor(np.cos(np.arange(out.numel())).reshape(out.shape)).to(out.dtype))
    ts = [p for fc in tl for p in (fc.weight, fc.bias)] + [x]
    return out.detach().numpy(), [None if t.grad is None else t.grad.numpy() for t in ts]


def assert_same_grads(got, want, **tol):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if g is not None:
            np.testing.assert_allclose(g, w, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("last_act", [False, True])
def test_custom_chain_is_one_node_and_matches_torch(dtype, style, last_act, rng):
    torch = torch_or_skip()
    x_np = rng.standard_normal((5, SIZES[0])).astype(dtype)
    out, got, fcs = run(x_np, dtype, style, last_act=last_act)
    assert fused_layers(out) == len(fcs)
    want_out, want = run_torch(torch, x_np, dtype, style, fcs, last_act=last_act)
    np.testing.assert_allclose(out.numpy(), want_out, **TOL[dtype])
    assert_same_grads(got, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_fused_gives_the_unfused_bits(dtype, style, rng):
    x_np = rng.standard_normal((7, SIZES[0])).astype(dtype)
    out, got, _ = run(x_np, dtype, style, last_act=True)
    ref, want, _ = run(x_np, dtype, style, last_act=True, barrier=True)
    assert fused_layers(out) == 3 and fused_layers(ref) == 0
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_fused_custom_module_gives_the_sequential_bits(rng):
    """The same model as a Sequential (fused by its plan) and as a custom Module."""
    fcs = layers(np.float64)
    seq = nn.Sequential(fcs[0], nn.Tanh(), fcs[1], nn.Tanh(), fcs[2])
    x = fg.tensor(rng.standard_normal((9, SIZES[0])))
    a = seq(x)
    a.sum().backward()
    ga = grads(params(fcs))
    for p in params(fcs):
        p.grad = None
    b = chain(x, fcs, fg.tanh)
    b.sum().backward()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    for g, w in zip(grads(params(fcs)), ga):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_dimensions_frozen_weight_and_no_input_grad(dtype, rng):
    torch = torch_or_skip()
    x_np = rng.standard_normal((2, 4, SIZES[0])).astype(dtype)
    out, got, fcs = run(x_np, dtype, "F.relu", x_grad=False, frozen=(1,))
    assert fused_layers(out) == 3 and out.shape == (2, 4, SIZES[-1])
    want_out, want = run_torch(torch, x_np, dtype, "F.relu", fcs, x_grad=False, frozen=(1,))
    np.testing.assert_allclose(out.numpy(), want_out, **TOL[dtype])
    assert_same_grads(got, want, **TOL[dtype])


def test_weight_shared_by_two_layers(rng):
    torch = torch_or_skip()
    fg.manual_seed(3)
    fc = nn.Linear(4, 4, dtype=np.float64)
    x = fg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    out = fc(F.tanh(fc(F.tanh(fc(x)))))
    assert fused_layers(out) == 3
    out.backward(np.ones((3, 4)))
    (tfc,) = torch_layers(torch, [fc])
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tfc(torch.tanh(tfc(torch.tanh(tfc(tx))))).backward(torch.ones(3, 4, dtype=torch.float64))
    assert_same_grads(grads([fc.weight, fc.bias, x]),
                      [tfc.weight.grad.numpy(), tfc.bias.grad.numpy(), tx.grad.numpy()],
                      **TOL[np.float64])


def test_input_made_by_an_op_gets_its_gradient(rng):
    """x itself the output of an op: its gradient comes back from the fused node."""
    torch = torch_or_skip()
    fcs = layers(np.float64)
    a_np = rng.standard_normal((4, SIZES[0]))
    a = fg.tensor(a_np, requires_grad=True)
    chain(a * 2.0, fcs, F.relu).sum().backward()
    tl = torch_layers(torch, fcs)
    ta = torch.tensor(a_np, requires_grad=True)
    chain(ta * 2.0, tl, torch.relu).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)


def test_intermediates_used_elsewhere_too(rng):
    """y = relu(h) feeds the next layer and a sum, h a square: every path's gradient arrives."""
    torch = torch_or_skip()
    fcs = layers(np.float64)
    tl = torch_layers(torch, fcs)
    x_np = rng.standard_normal((6, SIZES[0]))
    results = []
    for lib, ls, relu in ((fg, fcs, F.relu), (torch, tl, torch.relu)):
        x = lib.tensor(x_np, requires_grad=True)
        h = ls[0](x)
        y = relu(h)
        out = ls[2](relu(ls[1](y))).sum() + y.sum() * 0.5 + (h * h).sum()
        if lib is fg:
            assert fused_layers(ls[2](relu(ls[1](y)))) == 3
        out.backward()
        results.append(grads(params(ls) + [x]) if lib is fg else
                       [t.grad.numpy() for t in [p for fc in ls for p in (fc.weight, fc.bias)]
                        + [x]])
    assert_same_grads(*results, **TOL[np.float64])


# ---- hooks and retain_grad on intermediates --------------------------------------------------

def _double(g):
    return g * 2


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("which", [0, 1, 2, 3, 4])  # pre1, post1, pre2, post2, pre3(top act)
@pytest.mark.parametrize("what", ["retain_grad", "hook"])
def test_hooks_and_retain_grad_on_an_intermediate(when, which, what, rng):
    """Set before the next op (no fusion past it) or once the whole chain is recorded (the
    fused node splits at backward): the intermediate sees its full gradient, and a hook's
    replacement flows on, as in PyTorch."""
    torch = torch_or_skip()
    fcs = layers(np.float64)
    tl = torch_layers(torch, fcs)
    x_np = rng.standard_normal((5, SIZES[0]))

    def mark(t, lib):
        if what == "retain_grad":
            t.retain_grad()
        else:
            t.register_hook(_double)

    results = []
    for lib, ls, act in ((fg, fcs, fg.tanh), (torch, tl, torch.tanh)):
        x = lib.tensor(x_np, requires_grad=True)
        keep = []

        class Marking(list):  # marks the chosen intermediate the moment it is made
            def append(self, t):
                super().append(t)
                if when == "before" and len(self) == which + 1:
                    mark(t, lib)
        keep = Marking()
        out = chain(x, ls, act, last_act=True, keep=keep)
        assert len(keep) == 5
        if when == "after":
            mark(keep[which], lib)
        if lib is fg and when == "after":
            assert fused_layers(out) == 3  # fused, to be split by the walk
        out.backward(lib.ones(out.shape, dtype=lib.float64))
        ps = params(ls) if lib is fg else [p for fc in ls for p in (fc.weight, fc.bias)]
        got = [np.array(t.grad) if lib is fg else t.grad.numpy() for t in ps + [x]]
        if what == "retain_grad":
            g = keep[which].grad
            got.append(np.array(g) if lib is fg else g.numpy())
        results.append(got)
    assert_same_grads(*results, **TOL[np.float64])


def test_hook_added_after_fusion_on_a_reused_intermediate(rng):
    """y feeds the fused layers and a sum; its hook, added after both, runs once, on the sum
    of both paths' gradients (PyTorch's semantics), and retain_grad keeps that sum."""
    torch = torch_or_skip()
    fcs = layers(np.float64)
    tl = torch_layers(torch, fcs)
    x_np = rng.standard_normal((4, SIZES[0]))
    seen, results = [], []
    for lib, ls, relu in ((fg, fcs, F.relu), (torch, tl, torch.relu)):
        x = lib.tensor(x_np, requires_grad=True)
        y = relu(ls[0](x))
        out = ls[2](relu(ls[1](y))).sum() + (y * y).sum()
        y.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 3)
        y.retain_grad()
        out.backward()
        ps = params(ls) if lib is fg else [p for fc in ls for p in (fc.weight, fc.bias)]
        results.append([np.array(t.grad) if lib is fg else t.grad.numpy()
                        for t in ps + [x, y]])
    assert len(seen) == 2  # once in each library
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-12)
    assert_same_grads(*results, **TOL[np.float64])


# ---- what fusion must not change ---------------------------------------------------------------

@pytest.mark.parametrize("act, which, raises", [
    ("tanh", 1, True),    # tanh saves its output; the next Linear its input
    ("tanh", 0, False),   # the pre-activation: nothing saved it (tanh reads its output)
    ("gelu", 0, True),    # gelu's derivative reads its input
])
def test_in_place_change_of_a_saved_intermediate_raises_like_torch(act, which, raises, rng):
    torch = torch_or_skip()
    fcs = layers(np.float64)
    tl = torch_layers(torch, fcs)
    x_np = rng.standard_normal((4, SIZES[0]))
    for lib, ls, fn in ((fg, fcs, getattr(F, act)), (torch, tl, getattr(torch.nn.functional, act))):
        keep = []
        out = chain(lib.tensor(x_np, requires_grad=True), ls, fn, keep=keep)
        if lib is fg:
            assert fused_layers(out) == 3
        with lib.no_grad():
            keep[which].add_(1.0)
        if raises:
            with pytest.raises(RuntimeError, match="modified by an inplace|in-place operation"):
                out.sum().backward()
        else:
            out.sum().backward()


def test_second_backward_raises_from_the_output_and_from_an_intermediate(rng):
    fcs = layers(np.float64)
    x = fg.tensor(rng.standard_normal((4, SIZES[0])))
    keep = []
    out = chain(x, fcs, F.relu, keep=keep)
    assert fused_layers(out) == 3
    out.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        out.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        keep[1].sum().backward()  # relu(fc1(x)), swallowed by the fused node


def test_retain_graph_allows_a_second_backward(rng):
    fcs = layers(np.float64)
    x = fg.tensor(rng.standard_normal((4, SIZES[0])))
    out = chain(x, fcs, F.relu)
    out.sum().backward(retain_graph=True)
    once = grads(params(fcs))
    out.sum().backward()
    for g, w in zip(grads(params(fcs)), once):
        np.testing.assert_allclose(g, 2 * w, rtol=1e-14)


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_no_graph_without_grad_mode(mode, rng):
    fcs = layers(np.float64)
    x = fg.tensor(rng.standard_normal((4, SIZES[0])))
    with getattr(fg, mode)():
        out = chain(x, fcs, F.relu)
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), chain(x, fcs, F.relu).numpy())


def test_graph_reads_as_its_layers(rng):
    """fastgrad.viz reads the fused node of a custom Module as the Sequential's."""
    from fastgrad.viz.graph import build

    fcs = layers(np.float64)
    x = fg.tensor(rng.standard_normal((4, SIZES[0])))
    seq = nn.Sequential(fcs[0], nn.ReLU(), fcs[1], nn.ReLU(), fcs[2])
    a, b = build(seq(x)), build(chain(x, fcs, F.relu))
    assert [n.op for n in a.nodes] == [n.op for n in b.nodes]
    assert b.groups == {0: 3}
    for m, n in zip(a.nodes, b.nodes):
        if m.value is not None:
            np.testing.assert_array_equal(m.value, n.value)
