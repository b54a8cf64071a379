"""nn API beyond the layers, against PyTorch: ModuleList/ModuleDict, apply, named_modules,
register_buffer, gradient clipping, Flatten, smooth_l1_loss, one_hot, and Sequential honouring
a patched forward."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.nn import functional as F

torch = pytest.importorskip("torch")


def build(lib):
    """The same model in either library: a ModuleList of layers and a ModuleDict of heads,
    with a buffer."""
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = lib.nn.ModuleList([lib.nn.Linear(4, 5), lib.nn.Linear(5, 5)])
            self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(5, 2), "b": lib.nn.Linear(5, 3)})
            self.act = lib.nn.Tanh()
            self.register_buffer("scale", lib.ones(5) * 0.5)
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            for layer in self.layers:
                x = self.act(layer(x)) * self.scale
            return self.heads["a"](x), self.heads["b"](x)
    return Net()


def copy_torch_into(fg_model, torch_model):
    fg_model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})


def test_containers_register_like_torch_and_compute_the_same():
    t_model, f_model = build(torch), build(fg)
    assert list(f_model.state_dict()) == list(t_model.state_dict())
    assert [n for n, _ in f_model.named_parameters()] == [n for n, _ in t_model.named_parameters()]
    assert [n for n, _ in f_model.named_modules()] == [n for n, _ in t_model.named_modules()]
    assert [type(m).__name__ for m in f_model.modules()] == [type(m).__name__
                                                             for m in t_model.modules()]
    copy_torch_into(f_model, t_model)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for got, want in zip(f_model(fg.tensor(x)), t_model(torch.from_numpy(x))):
        np.testing.assert_allclose(np.asarray(got), want.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_module_list_operations_match_a_python_list():
    mods = [nn.Linear(1, 1) for _ in range(5)]
    ml = nn.ModuleList(mods[:3])
    ml.append(mods[3])
    ml.insert(0, mods[4])
    ml += [nn.Tanh()]
    ref = [mods[4], mods[0], mods[1], mods[2], mods[3], ml[-1]]
    assert list(ml) == ref and len(ml) == 6 and ml[-2] is mods[3]
    assert list(ml[1:3]) == ref[1:3]
    del ml[1]
    assert list(ml) == ref[:1] + ref[2:] and list(ml._modules) == [str(i) for i in range(5)]
    assert ml.pop(0) is mods[4] and len(ml) == 4
    with pytest.raises(IndexError):
        ml[10]
    with pytest.raises(TypeError, match="not a Module"):
        ml.append(3)
    md = nn.ModuleDict({"x": mods[0]})
    md["y"] = mods[1]
    md.update([("z", mods[2])])
    assert list(md.keys()) == ["x", "y", "z"] and "y" in md and md.pop("y") is mods[1]
    assert list(md) == ["x", "z"] and len(list(md.parameters())) == 4


def test_apply_visits_children_first_like_torch():
    def order(lib):
        seen = []
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.ReLU(),
                                                                         lib.nn.Linear(3, 1)))
        assert model.apply(lambda m: seen.append(type(m).__name__)) is model
        return seen
    assert order(fg) == order(torch)


def test_apply_initialises_weights_as_in_the_tutorials():
    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).apply(init_weights)
    out = model(fg.ones(1, 3))
    np.testing.assert_array_equal(np.asarray(out), [[12.0, 12.0]])  # 4 units of 3 each


def test_register_buffer_is_state_not_a_parameter_and_moves_with_the_module():
    f_model, t_model = build(fg), build(torch)
    assert "scale" in f_model.state_dict() and "scratch" not in f_model.state_dict()
    assert len(list(f_model.parameters())) == len(list(t_model.parameters())) == 8
    assert [n for n, _ in f_model.named_buffers()] == [n for n, _ in t_model.named_buffers()]
    assert isinstance(f_model.scale, fg.Tensor) and not f_model.scale.requires_grad
    f_model.double()
    assert f_model.scale.dtype == np.float64 and f_model.scratch.dtype == np.float64
    t_sd = {k: v.double() for k, v in t_model.state_dict().items()}
    t_sd["scale"] = torch.full((5,), 2.0, dtype=torch.float64)
    f_model.load_state_dict({k: v.numpy() for k, v in t_sd.items()})
    np.testing.assert_array_equal(np.asarray(f_model.scale), np.full(5, 2.0))
    with pytest.raises(TypeError, match="register_buffer"):
        f_model.register_buffer("bad", [1, 2])


def grads_pair(seed=0):
    """Two parameters with the same gradients in either library (one without a grad)."""
    r = np.random.default_rng(seed)
    values = [r.standard_normal((3, 4)).astype(np.float32),
              r.standard_normal(5).astype(np.float32),
              r.standard_normal(2).astype(np.float32)]
    grads = [r.standard_normal(v.shape).astype(np.float32) * 3 for v in values[:2]] + [None]
    t_params, f_params = [], []
    for v, g in zip(values, grads):
        tp = torch.nn.Parameter(torch.from_numpy(v.copy()))
        fp = nn.Parameter(v.copy())
        if g is not None:
            tp.grad = torch.from_numpy(g.copy())
            fp.grad = g.copy()
        t_params.append(tp)
        f_params.append(fp)
    return t_params, f_params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    t_params, f_params = grads_pair()
    want = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    got = nn.utils.clip_grad_norm_(f_params, max_norm, norm_type=norm_type)
    assert isinstance(got, fg.Tensor)
    np.testing.assert_allclose(float(got), float(want), rtol=1e-5)
    for tp, fp in zip(t_params, f_params):
        if tp.grad is None:
            assert fp.grad is None
        else:
            np.testing.assert_allclose(np.asarray(fp.grad), tp.grad.numpy(), rtol=1e-5,
                                       atol=1e-7)


def test_clip_grad_norm_single_tensor_nonfinite_and_no_grads():
    t_params, f_params = grads_pair()
    np.testing.assert_allclose(float(nn.utils.clip_grad_norm_(f_params[0], 1.0)),
                               float(torch.nn.utils.clip_grad_norm_(t_params[0], 1.0)), rtol=1e-6)
    np.asarray(f_params[1].grad)[0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(f_params, 1.0, error_if_nonfinite=True)
    assert float(nn.utils.clip_grad_norm_(f_params[2:], 1.0)) == 0.0
    with pytest.raises(TypeError, match="max_norm"):
        nn.utils.clip_grad_norm_(f_params, "1")


def test_clip_grad_value_matches_torch():
    t_params, f_params = grads_pair(1)
    assert torch.nn.utils.clip_grad_value_(t_params, 0.7) is None
    assert nn.utils.clip_grad_value_(f_params, 0.7) is None
    for tp, fp in zip(t_params[:2], f_params[:2]):
        np.testing.assert_array_equal(np.asarray(fp.grad), tp.grad.numpy())


@pytest.mark.parametrize("dims", [(), (1, -1), (0, -1), (1, 2), (2, 3), (0, 0)])
def test_flatten_module_on_tensors_matches_torch(dims):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    got = nn.Flatten(*dims)(fg.tensor(x, requires_grad=True))
    want = torch.nn.Flatten(*dims)(torch.from_numpy(x))
    assert isinstance(got, fg.Tensor) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(np.asarray(got), want.numpy())
    got.sum().backward()  # the gradient flows back to the input's shape


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_loss_values_and_gradients_match_torch(beta, reduction):
    r = np.random.default_rng(2)
    x = (r.standard_normal((4, 3)) * 2).astype(np.float64)
    y = r.standard_normal((4, 3)).astype(np.float64)
    fx, tx = fg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got = F.smooth_l1_loss(fx, fg.tensor(y), reduction=reduction, beta=beta)
    want = torch.nn.functional.smooth_l1_loss(tx, torch.tensor(y), reduction=reduction,
                                              beta=beta)
    np.testing.assert_allclose(np.asarray(got), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    module = nn.SmoothL1Loss(reduction=reduction, beta=beta)(fx, fg.tensor(y))
    np.testing.assert_allclose(np.asarray(module), want.detach().numpy(), rtol=1e-12)
    g = np.cos(np.arange(want.numel())).reshape(want.shape)
    got.backward(g)
    want.backward(torch.tensor(g))
    np.testing.assert_allclose(np.asarray(fx.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_smooth_l1_loss_rejects_negative_beta():
    with pytest.raises(ValueError, match="beta"):
        F.smooth_l1_loss(fg.zeros(2), fg.zeros(2), beta=-1.0)
    with pytest.raises(ValueError, match="beta"):
        nn.SmoothL1Loss(beta=-0.1)


@pytest.mark.parametrize("num_classes", [-1, 7])
def test_one_hot_matches_torch(num_classes):
    labels = np.array([[0, 3], [5, 1], [2, 2]])
    got = F.one_hot(fg.tensor(labels), num_classes)
    want = torch.nn.functional.one_hot(torch.from_numpy(labels), num_classes)
    assert got.dtype == np.int64 and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(np.asarray(got), want.numpy())
    with pytest.raises(RuntimeError, match="class values"):
        F.one_hot(fg.tensor([0, 4]), 3)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(fg.tensor([0.0, 1.0]))


def one_by_one(model, x):
    for m in model:
        x = m(x)
    return x


@pytest.mark.parametrize("patched", [0, 1, 2])
def test_sequential_calls_a_module_whose_forward_was_replaced(patched):
    """repro_sequential_ignores_patched_forward: a per-instance forward (a patch, an adapter
    wrapper) is honoured inside the Sequential, as PyTorch's Sequential calls each module."""
    fg.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = fg.tensor([[0.5, -1.0]], requires_grad=True)
    original = model[patched].forward
    model[patched].forward = lambda inp: original(inp) * 0.5 + 1.0
    got = model(x)
    # reference: the same arithmetic in float64 NumPy, with the patch where it was made
    h = np.asarray(x, np.float64)
    for i, m in enumerate(model):
        if isinstance(m, nn.Linear):
            h = h @ np.asarray(m.weight, np.float64).T + np.asarray(m.bias, np.float64)
        else:
            h = np.tanh(h)
        if i == patched:
            h = h * 0.5 + 1.0
    np.testing.assert_allclose(np.asarray(got), h, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(got), np.asarray(one_by_one(model, x)), rtol=1e-6)
    del model[patched].forward  # the stock forward again: fused, and the patch is gone
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(one_by_one(model, x)),
                               rtol=1e-6)
    assert not np.allclose(np.asarray(model(x)), h)


def test_sequential_honours_a_class_level_patch_of_linear_forward(monkeypatch):
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    stock = nn.Linear.forward
    monkeypatch.setattr(nn.Linear, "forward", lambda self, inp: stock(self, inp) * 0.0)
    model.append(nn.Identity())  # any change of the model rebuilds the plan
    np.testing.assert_array_equal(np.asarray(model(fg.ones(1, 2))), [[0.0]])
