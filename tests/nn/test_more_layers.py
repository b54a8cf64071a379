"""GroupNorm, RMSNorm, Bilinear, CosineSimilarity, PairwiseDistance, Unflatten, F.normalize,
F.pad, ParameterList and ParameterDict against PyTorch (same weights copied in): values and
float64 gradients of inputs and parameters, state-dict keys, gradcheck, bad arguments."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F
from conftest import torch_or_skip

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-11, atol=1e-12)}


def _run(torch, ours, theirs, inputs, dtype, rng):
    """Both modules (weights already equal) on the same inputs and output gradient: returns
    nothing, asserts values and every gradient equal."""
    xs = [fg.Tensor(x, requires_grad=True) for x in inputs]
    ts = [torch.tensor(x, requires_grad=True) for x in inputs]
    y, yt = ours(*xs), theirs(*ts)
    assert tuple(y.shape) == tuple(yt.shape)
    g = rng.standard_normal(tuple(y.shape)).astype(dtype)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **TOL[dtype])
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), **TOL[dtype])
    if isinstance(ours, nn.Module):
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad, pt.grad.numpy(), **TOL[dtype], err_msg=name)


def _copy_weights(ours, theirs, rng, torch):
    state = {k: rng.standard_normal(tuple(v.shape)) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.load_state_dict(state)


CASES = {
    "groupnorm": (lambda m: m.GroupNorm(2, 4), [(3, 4, 5)]),
    "groupnorm_2d_spatial": (lambda m: m.GroupNorm(4, 4, eps=1e-3), [(2, 4, 3, 2)]),
    "groupnorm_no_affine": (lambda m: m.GroupNorm(1, 6, affine=False), [(5, 6)]),
    "groupnorm_no_bias": (lambda m: m.GroupNorm(3, 6, bias=False), [(2, 6, 2)]),
    "rmsnorm": (lambda m: m.RMSNorm(5), [(3, 4, 5)]),
    "rmsnorm_2dims_eps": (lambda m: m.RMSNorm((4, 5), eps=1e-4), [(3, 4, 5)]),
    "rmsnorm_no_affine": (lambda m: m.RMSNorm(5, elementwise_affine=False), [(2, 5)]),
    "bilinear": (lambda m: m.Bilinear(3, 4, 5), [(6, 3), (6, 4)]),
    "bilinear_batched_nobias": (lambda m: m.Bilinear(2, 3, 4, bias=False), [(2, 5, 2), (2, 5, 3)]),
    "cosine": (lambda m: m.CosineSimilarity(), [(4, 6), (4, 6)]),
    "cosine_dim0_broadcast": (lambda m: m.CosineSimilarity(dim=0), [(5, 3), (5, 1)]),
    "pairwise": (lambda m: m.PairwiseDistance(), [(4, 6), (4, 6)]),
    "pairwise_p1_keepdim": (lambda m: m.PairwiseDistance(p=1.0, keepdim=True), [(4, 6), (4, 6)]),
    "pairwise_p3": (lambda m: m.PairwiseDistance(p=3.0, eps=1e-3), [(2, 3, 6), (2, 3, 6)]),
    "unflatten": (lambda m: m.Unflatten(1, (2, 3)), [(4, 6)]),
    "unflatten_neg": (lambda m: m.Unflatten(-1, (-1, 2)), [(2, 3, 6)]),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_module_matches_torch(name, dtype, rng):
    torch = torch_or_skip()
    make, shapes = CASES[name]
    tdtype = getattr(torch, np.dtype(dtype).name)
    ours, theirs = make(nn).to(dtype), make(torch.nn).to(tdtype)
    _copy_weights(ours, theirs, rng, torch)
    inputs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    _run(torch, ours, theirs, inputs, dtype, rng)


def test_default_initialisation_matches_torchs_rule():
    torch = torch_or_skip()
    fg.manual_seed(3)
    b = nn.Bilinear(16, 4, 300)
    bound = 1 / np.sqrt(16)
    for p in (b.weight.data, b.bias.data):
        assert p.min() >= -bound and p.max() <= bound and p.max() > 0.9 * bound
    assert b.weight.shape == tuple(torch.nn.Bilinear(16, 4, 300).weight.shape)
    for ours, theirs in [(nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
                         (nn.RMSNorm((2, 3)), torch.nn.RMSNorm((2, 3)))]:
        for k, v in theirs.state_dict().items():
            np.testing.assert_array_equal(ours.state_dict()[k], v.numpy())


@pytest.mark.parametrize("fn", [
    lambda t: F.group_norm(t, 2, fg.Tensor(np.array([1.0, 2, 3, 4])), fg.Tensor(np.ones(4))),
    lambda t: F.rms_norm(t, (5,), fg.Tensor(np.linspace(0.5, 2, 5))),
    lambda t: F.normalize(t, p=2.0, dim=1),
    lambda t: F.normalize(t, p=1.0, dim=-1),
    lambda t: F.cosine_similarity(t, t[:, ::-1] + 1.0, dim=1),
    lambda t: F.pairwise_distance(t, t * 0.5 + 1.0),
    lambda t: F.pad(t, (1, 2, 0, 1), value=3.0),
    lambda t: F.pad(t, (2, 1), mode="reflect"),
    lambda t: F.pad(t, (1, 1, 2, 0), mode="replicate"),
    lambda t: F.pad(t, (1, 2), mode="circular"),
    lambda t: F.pad(t, (-1, 1, 0, -2)),
])
def test_gradcheck(fn, rng):
    x = fg.Tensor(rng.standard_normal((3, 4, 5)), requires_grad=True)
    w = fg.Tensor(rng.standard_normal(tuple(fn(x).shape)))  # a weighted sum: every element counts
    assert fg.gradcheck(lambda t: (fn(t) * w).sum(), (x,))


def test_bilinear_gradcheck_every_argument(rng):
    args = [fg.Tensor(rng.standard_normal(s), requires_grad=True)
            for s in [(3, 2), (3, 4), (5, 2, 4), (5,)]]
    assert fg.gradcheck(lambda a, b, w, c: F.bilinear(a, b, w, c).sum(), args)


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)])
def test_normalize_matches_torch(p, dim, rng):
    torch = torch_or_skip()
    x = rng.standard_normal((3, 4, 2))
    x[0, :, 0] = 0.0  # a zero vector: the eps floor keeps it zero, not NaN
    xf, xt = fg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g = rng.standard_normal(x.shape)
    y, yt = F.normalize(xf, p=p, dim=dim), torch.nn.functional.normalize(xt, p=p, dim=dim)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(xf.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


PADS = [((1, 2), "constant", None), ((1, 2, 3, 0), "constant", -1.5), ((0, 0, 1, 1, 2, 2), "constant", 2.0),
        ((-1, 2), "constant", 0.0), ((2, 1), "reflect", None), ((1, 2, 2, 1), "reflect", None),
        ((3, 0), "replicate", None), ((1, 2, 0, 3), "replicate", None), ((2, 1, 1, 2), "circular", None),
        ((1, 1, 1, 1, 1, 1), "replicate", None)]


@pytest.mark.parametrize("pad,mode,value", PADS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pad_matches_torch(pad, mode, value, dtype, rng):
    torch = torch_or_skip()
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    if mode != "constant" and len(pad) == 2:
        x = x[0]  # (C, N, W): torch's 3-d input for a 1-d pad
    _run(torch, lambda t: F.pad(t, pad, mode=mode, value=value),
         lambda t: torch.nn.functional.pad(t, pad, mode=mode, value=value), [x], dtype, rng)


PAD_MODULES = [("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 0, 2, 1),), (2, 3, 4)),
               ("ZeroPad3d", (1,), (1, 2, 3, 4)), ("ConstantPad1d", ((1, 2), -2.5), (2, 3, 4)),
               ("ConstantPad2d", (1, 4.0), (3, 4)), ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 1.0), (2, 2, 3, 4)),
               ("ReflectionPad1d", ((3, 1),), (2, 3, 4)), ("ReflectionPad2d", (1,), (1, 2, 3, 4)),
               ("ReflectionPad3d", (1,), (1, 2, 3, 3, 4)), ("ReplicationPad1d", (2,), (2, 3, 4)),
               ("ReplicationPad2d", ((0, 1, 2, 3),), (1, 2, 3, 4)),
               ("ReplicationPad3d", (1,), (1, 2, 2, 3, 4)), ("CircularPad1d", (2,), (2, 3, 4)),
               ("CircularPad2d", ((1, 2, 0, 1),), (1, 2, 3, 4)),
               ("CircularPad3d", (1,), (1, 2, 2, 3, 4))]


@pytest.mark.parametrize("name,args,shape", PAD_MODULES)
def test_padding_modules_match_torch(name, args, shape, rng):
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    _run(torch, ours, theirs, [rng.standard_normal(shape)], np.float64, rng)


def test_parameter_containers_register_as_torch():
    torch = torch_or_skip()

    def model(mod):
        m = mod.Module()
        m.plist = mod.ParameterList([mod.Parameter(fg.zeros(2) if mod is nn else torch.zeros(2)),
                                     mod.Parameter(fg.ones(3) if mod is nn else torch.ones(3))])
        m.pdict = mod.ParameterDict({"scale": mod.Parameter(fg.ones(1) if mod is nn else
                                                            torch.ones(1))})
        m.plist.append(fg.full((4,), 2.0) if mod is nn else torch.full((4,), 2.0))
        m.pdict["shift"] = fg.zeros(2) if mod is nn else torch.zeros(2)
        return m

    ours, theirs = model(nn), model(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert isinstance(ours.plist[2], nn.Parameter) and ours.plist[2].requires_grad
    assert isinstance(ours.pdict["shift"], nn.Parameter)
    ours.load_state_dict({k: v.detach().numpy() + 1 for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours.plist[1].data, 2.0)
    assert len(ours.plist) == 3 and list(ours.pdict) == ["scale", "shift"] and "scale" in ours.pdict
    del ours.pdict["scale"]
    assert list(ours.state_dict()) == ["plist.0", "plist.1", "plist.2", "pdict.shift"]
    # a ParameterList's parameters train: a gradient reaches them through an op
    loss = (ours.plist[0] * 3.0).sum()
    loss.backward()
    np.testing.assert_array_equal(ours.plist[0].grad, [3.0, 3.0])


def test_new_names_exist_as_in_torch():
    torch = torch_or_skip()
    for name in ["Embedding", "ParameterList", "ParameterDict", "Unflatten", "GroupNorm",
                 "RMSNorm", "Bilinear", "CosineSimilarity", "PairwiseDistance"]:
        assert hasattr(torch.nn, name) and hasattr(nn, name), name
    for name in ["embedding", "group_norm", "rms_norm", "bilinear", "cosine_similarity",
                 "pairwise_distance", "normalize", "pad"]:
        assert hasattr(torch.nn.functional, name) and hasattr(F, name), name
    for name in ["eye_", "trunc_normal_", "orthogonal_"]:
        assert hasattr(torch.nn.init, name) and hasattr(nn.init, name), name


def test_constructor_arguments_are_torchs():
    torch = torch_or_skip()
    import inspect
    for name in ["Embedding", "ParameterList", "ParameterDict", "Unflatten", "GroupNorm",
                 "RMSNorm", "Bilinear", "CosineSimilarity", "PairwiseDistance", "ReLU6", "PReLU",
                 "SELU", "CELU", "Mish", "Hardtanh", "Hardsigmoid", "Hardswish", "Softmin",
                 "Threshold"]:
        ours = list(inspect.signature(getattr(nn, name).__init__).parameters)
        theirs = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
        assert ours == theirs, name
    for name in ["relu6", "selu", "celu", "mish", "softsign", "tanhshrink", "hardtanh",
                 "hardsigmoid", "hardswish", "softmin", "threshold", "embedding", "group_norm",
                 "rms_norm", "normalize", "pad"]:  # the others are builtins without a signature
        ours = list(inspect.signature(getattr(F, name)).parameters)
        theirs = list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
        assert ours == theirs, name
    ours = inspect.signature(nn.Embedding.from_pretrained).parameters
    assert list(ours) == list(inspect.signature(torch.nn.Embedding.from_pretrained).parameters)


def test_bad_arguments_name_the_argument():
    x = fg.Tensor(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="num_groups=3"):
        F.group_norm(x, 3)
    with pytest.raises(ValueError, match="weight shape"):
        F.group_norm(x, 2, fg.ones(3))
    with pytest.raises(ValueError, match="normalized_shape"):
        F.rms_norm(x, (4,))
    with pytest.raises(ValueError, match="in1=5"):
        F.bilinear(fg.zeros((2, 3)), fg.zeros((2, 4)), fg.zeros((6, 5, 4)))
    with pytest.raises(ValueError, match="do not broadcast"):
        F.cosine_similarity(fg.zeros((2, 3)), fg.zeros((3, 2)))
    with pytest.raises(ValueError, match="even length"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match="smaller than axis"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="last 1 to 3 axes"):
        F.pad(x, (1, 1, 1, 1, 1, 1), mode="replicate")
    with pytest.raises(ValueError, match="value applies only"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(TypeError, match="pad must be"):
        F.pad(x, 2)
    with pytest.raises(ValueError, match="unflattened_size"):
        nn.Unflatten(1, (3, 2))(x)
    with pytest.raises(TypeError, match="dim"):
        nn.Unflatten("a", (2, 2))
    with pytest.raises(TypeError, match="Parameter or a Tensor"):
        nn.ParameterList([1.0])
    with pytest.raises(TypeError, match="padding must be an int or a tuple of 4"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(KeyError, match="'.'"):
        nn.ParameterDict({"a.b": fg.zeros(1)})
