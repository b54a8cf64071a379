"""kl_div, poisson_nll_loss, gaussian_nll_loss, margin_ranking_loss, hinge_embedding_loss,
soft_margin_loss, multilabel_soft_margin_loss, cosine_embedding_loss, triplet_margin_loss:
values and gradients of every differentiable input against PyTorch (float64 tightly, float32 to
its rounding), fg.gradcheck in float64, the module forms, and bad arguments named."""
import numpy as np
import pytest

import fastgrad as fg
import fastgrad.nn as nn
import fastgrad.nn.functional as F

torch = pytest.importorskip("torch")
# Both libraries warn about kl_div's 'mean' and the deprecated size_average/reduce (tested below).
pytestmark = [pytest.mark.filterwarnings("ignore:.*reduction.*mean.*:UserWarning"),
              pytest.mark.filterwarnings("ignore:size_average and reduce:UserWarning")]
TF = torch.nn.functional
TOL = {np.float32: dict(rtol=3e-5, atol=3e-6), np.float64: dict(rtol=1e-11, atol=1e-13)}


def _rng(seed=0):
    return np.random.default_rng(seed)


def _signs(shape, rng):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _log_probs(shape, rng):
    z = rng.standard_normal(shape)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _away_from(values, kink, gap=0.05):
    """values nudged off a kink, so finite differences see a smooth function."""
    near = np.abs(values - kink) < gap
    return np.where(near, values + 2 * gap, values)


# name: (function, builder of (arrays, which need grad), keyword arguments)
def _kl(rng):
    return [_log_probs((4, 5), rng), np.exp(_log_probs((4, 5), rng))], [True, True]


def _kl_log(rng):
    return [_log_probs((4, 5), rng), _log_probs((4, 5), rng)], [True, True]


def _poisson(rng):
    return [rng.standard_normal((3, 4)), _away_from(rng.uniform(0.2, 6, (3, 4)), 1.0)], \
        [True, True]


def _poisson_rate(rng):
    return [rng.uniform(0.1, 4, (3, 4)), _away_from(rng.uniform(0.2, 6, (3, 4)), 1.0)], \
        [True, True]


def _gauss(var_shape):
    def build(rng):
        return [rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                rng.uniform(0.1, 2, var_shape)], [True, True, True]
    return build


def _ranking(rng):
    x1, x2 = rng.standard_normal(12), rng.standard_normal(12)
    return [x1, x2, _signs(12, rng)], [True, True, True]


def _hinge(rng):
    return [_away_from(rng.uniform(0, 3, (3, 5)), 1.0), _signs((3, 5), rng)], [True, False]


def _soft(rng):
    # (PyTorch refuses a target that requires grad here; test_soft_margin_target_gradient)
    return [rng.standard_normal((3, 5)) * 3, _signs((3, 5), rng)], [True, False]


def _multilabel(rng):
    return [rng.standard_normal((4, 6)) * 2, (rng.random((4, 6)) < 0.4).astype(float)], \
        [True, True]


def _cosine(rng):
    return [rng.standard_normal((6, 4)), rng.standard_normal((6, 4)), _signs(6, rng)], \
        [True, True, False]


def _cosine_1d(rng):
    return [rng.standard_normal(5), rng.standard_normal(5), np.array(-1.0)], [True, True, False]


def _triplet(rng):
    return [rng.standard_normal((5, 4)) for _ in range(3)], [True, True, True]


CASES = {
    "kl_div": ("kl_div", _kl, {}),
    "kl_div-log_target": ("kl_div", _kl_log, dict(log_target=True)),
    "poisson": ("poisson_nll_loss", _poisson, {}),
    "poisson-full": ("poisson_nll_loss", _poisson, dict(full=True)),
    "poisson-rate": ("poisson_nll_loss", _poisson_rate, dict(log_input=False, eps=1e-4)),
    "poisson-rate-full": ("poisson_nll_loss", _poisson_rate, dict(log_input=False, full=True)),
    "gaussian": ("gaussian_nll_loss", _gauss((4, 3)), {}),
    "gaussian-per-sample-var": ("gaussian_nll_loss", _gauss((4,)), dict(full=True)),
    "gaussian-heteroscedastic": ("gaussian_nll_loss", _gauss((4, 1)), dict(eps=0.05)),
    "margin_ranking": ("margin_ranking_loss", _ranking, {}),
    "margin_ranking-margin": ("margin_ranking_loss", _ranking, dict(margin=0.7)),
    "hinge_embedding": ("hinge_embedding_loss", _hinge, {}),
    "hinge_embedding-margin": ("hinge_embedding_loss", _hinge, dict(margin=2.5)),
    "soft_margin": ("soft_margin_loss", _soft, {}),
    "multilabel_soft_margin": ("multilabel_soft_margin_loss", _multilabel, {}),
    "multilabel_soft_margin-weight": ("multilabel_soft_margin_loss", _multilabel,
                                      dict(weight=np.linspace(0.5, 2, 6))),
    "cosine_embedding": ("cosine_embedding_loss", _cosine, {}),
    "cosine_embedding-margin": ("cosine_embedding_loss", _cosine, dict(margin=-0.2)),
    "cosine_embedding-1d": ("cosine_embedding_loss", _cosine_1d, dict(margin=0.1)),
    "triplet": ("triplet_margin_loss", _triplet, {}),
    "triplet-p1-swap": ("triplet_margin_loss", _triplet, dict(p=1, swap=True, margin=2.0)),
    "triplet-p3": ("triplet_margin_loss", _triplet, dict(p=3, margin=0.5, eps=1e-3)),
    "triplet-swap": ("triplet_margin_loss", _triplet, dict(swap=True, margin=3.0)),
}


def _kwargs(kwargs, lib):
    """The keyword arguments for one library (a weight array becomes that library's tensor)."""
    out = dict(kwargs)
    if "weight" in out:
        out["weight"] = torch.tensor(out["weight"]) if lib is torch else fg.tensor(out["weight"])
    return out


def _reductions(name):
    return ["none", "mean", "sum"] + (["batchmean"] if name == "kl_div" else [])


def _evaluate(lib, name, arrays, needs, kwargs, reduction, dtype, seed):
    """Value and gradients of sum(loss * w) for a fixed random w, in either library."""
    make = torch.tensor if lib is torch else fg.tensor
    tensors = [make(a.astype(dtype), requires_grad=n) for a, n in zip(arrays, needs)]
    fn = getattr(TF if lib is torch else F, name)
    kw = _kwargs(kwargs, lib)
    if "weight" in kw:
        kw["weight"] = kw["weight"].to(torch.float64 if dtype == np.float64 else torch.float32) \
            if lib is torch else kw["weight"].to(dtype)
    loss = fn(*tensors, **kw, reduction=reduction)
    w = _rng(seed).uniform(0.5, 1.5, tuple(loss.shape)).astype(dtype)
    (loss * make(w)).sum().backward()
    value = loss.detach().numpy() if lib is torch else loss.numpy()
    grads = [None if not n else (t.grad.numpy() if lib is torch else np.asarray(t.grad))
             for t, n in zip(tensors, needs)]
    return value, grads


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_value_and_gradients_equal_torch(case, dtype):
    name, build, kwargs = CASES[case]
    arrays, needs = build(_rng(1))
    for reduction in _reductions(name):
        ours = _evaluate(fg, name, arrays, needs, kwargs, reduction, dtype, 2)
        theirs = _evaluate(torch, name, arrays, needs, kwargs, reduction, dtype, 2)
        assert ours[0].dtype == dtype and ours[0].shape == theirs[0].shape, reduction
        np.testing.assert_allclose(ours[0], theirs[0], **TOL[dtype], err_msg=reduction)
        for i, (a, b) in enumerate(zip(ours[1], theirs[1])):
            if b is not None:
                assert a.dtype == dtype
                np.testing.assert_allclose(a, b, **TOL[dtype],
                                           err_msg=f"{reduction}: gradient of input {i}")


@pytest.mark.parametrize("case", list(CASES))
def test_gradcheck(case):
    name, build, kwargs = CASES[case]
    arrays, needs = build(_rng(3))
    fn = getattr(F, name)
    kw = _kwargs(kwargs, fg)
    tensors = [fg.tensor(a, requires_grad=n) for a, n in zip(arrays, needs)]
    for reduction in ("none", "mean"):
        assert fg.gradcheck(lambda *ts: fn(*ts, **kw, reduction=reduction), tensors)


def test_gaussian_var_below_eps_is_clamped_and_differentiated_at_eps_as_torch():
    rng = _rng(4)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    var = np.array([1e-9, 0.0, 0.5, 2.0]).repeat(3).reshape(4, 3)
    ours = _evaluate(fg, "gaussian_nll_loss", [x, t, var], [True, True, True], {}, "mean",
                     np.float64, 5)
    theirs = _evaluate(torch, "gaussian_nll_loss", [x, t, var], [True, True, True], {}, "mean",
                       np.float64, 5)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def test_gaussian_accepts_a_float_var():
    rng = _rng(6)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    ours = F.gaussian_nll_loss(fg.tensor(x), fg.tensor(t), 0.7).item()
    assert ours == pytest.approx(TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(t),
                                                      0.7).item(), rel=1e-13)


def test_kl_div_matches_the_definition():
    """Independent of torch: batchmean is Σ p (ln p - ln q) / N."""
    rng = _rng(7)
    log_q, p = _log_probs((6, 4), rng), np.exp(_log_probs((6, 4), rng))
    expected = (p * (np.log(p) - log_q)).sum() / 6
    assert F.kl_div(fg.tensor(log_q), p, reduction="batchmean").item() == \
        pytest.approx(expected, rel=1e-13)
    # zero target probabilities contribute 0 (0 ln 0 = 0), not NaN
    p[0] = [1.0, 0.0, 0.0, 0.0]
    assert np.isfinite(F.kl_div(fg.tensor(log_q), p, reduction="sum").item())


def test_soft_margin_is_finite_where_exp_overflows():
    x = fg.tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    loss = F.soft_margin_loss(x, np.array([1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1000.0, 0.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [-1.0, 0.0])


def test_soft_margin_target_gradient():
    rng = _rng(9)
    x = fg.tensor(rng.standard_normal(6), requires_grad=True)
    t = fg.tensor(rng.standard_normal(6), requires_grad=True)
    assert fg.gradcheck(lambda a, b: F.soft_margin_loss(a, b, reduction="none"), (x, t))


MODULES = [
    ("KLDivLoss", dict(reduction="batchmean", log_target=True), "kl_div-log_target"),
    ("PoissonNLLLoss", dict(log_input=False, full=True), "poisson-rate-full"),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3), "gaussian-per-sample-var"),
    ("MarginRankingLoss", dict(margin=0.3, reduction="sum"), "margin_ranking"),
    ("HingeEmbeddingLoss", dict(margin=2.0, reduction="none"), "hinge_embedding"),
    ("SoftMarginLoss", dict(), "soft_margin"),
    ("MultiLabelSoftMarginLoss", dict(weight=np.linspace(0.5, 2, 6)), "multilabel_soft_margin"),
    ("CosineEmbeddingLoss", dict(margin=0.2), "cosine_embedding"),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), "triplet"),
    ("SoftMarginLoss", dict(size_average=False), "soft_margin"),  # the legacy form: 'sum'
    ("HingeEmbeddingLoss", dict(reduce=False), "hinge_embedding"),  # the legacy form: 'none'
]


@pytest.mark.parametrize("module,kwargs,case", MODULES, ids=[m[0] for m in MODULES])
def test_modules_equal_torch(module, kwargs, case):
    arrays = CASES[case][1](_rng(8))[0]
    ours = getattr(nn, module)(**_kwargs(kwargs, fg))(*[fg.tensor(a) for a in arrays])
    theirs = getattr(torch.nn, module)(**_kwargs(kwargs, torch))(
        *[torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)


def test_warnings_as_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(fg.tensor(X), X)
    with pytest.warns(UserWarning, match="size_average and reduce"):
        nn.SoftMarginLoss(size_average=False)


# ---- bad arguments --------------------------------------------------------------------------
X = np.zeros((3, 4))
BAD = [
    (lambda: F.kl_div(X, X, reduction="average"), "reduction"),
    (lambda: F.kl_div(X, np.zeros((4, 3))), "target"),
    (lambda: F.poisson_nll_loss(X, X, reduction="batchmean"), "reduction"),
    (lambda: F.poisson_nll_loss(X, np.zeros(4)), "target"),
    (lambda: F.gaussian_nll_loss(X, X, np.ones((3, 2))), "var"),
    (lambda: F.gaussian_nll_loss(X, X, -np.ones((3, 4))), "var"),
    (lambda: F.gaussian_nll_loss(X, X, -1.0), "var"),
    (lambda: F.gaussian_nll_loss(X, X, np.ones(3), reduction="max"), "reduction"),
    (lambda: F.margin_ranking_loss(X, np.zeros((3, 5)), X), "input2"),
    (lambda: F.margin_ranking_loss(X, X, np.zeros(3)), "target"),
    (lambda: F.hinge_embedding_loss(X, np.zeros(4)), "target"),
    (lambda: F.soft_margin_loss(X, X, reduction=None), "reduction"),
    (lambda: F.multilabel_soft_margin_loss(X, X, weight=np.ones(3)), "weight"),
    (lambda: F.cosine_embedding_loss(X, X, np.ones(4)), "target"),
    (lambda: F.cosine_embedding_loss(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), np.ones(2)),
     "input1"),
    (lambda: F.triplet_margin_loss(X, X, np.zeros((3, 5))), "negative"),
    (lambda: F.triplet_margin_loss(X, X, X, margin=0.0), "margin"),
    (lambda: F.triplet_margin_loss(X, X, X, p=0), "p"),
    (lambda: nn.KLDivLoss(reduction="batch"), "reduction"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), "margin"),
]


@pytest.mark.parametrize("call,argument", BAD, ids=[f"{i}-{a}" for i, (_, a) in enumerate(BAD)])
def test_bad_arguments_are_refused_naming_them(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_a_margin_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="margin"):
        F.margin_ranking_loss(X, X, X, margin="1")


# ---- class-index margin losses and the triplet loss with a distance function ----------------
MULTI = [
    ("multi_margin_loss", dict()),
    ("multi_margin_loss", dict(p=2, margin=0.7)),
    ("multi_margin_loss", dict(weight=np.linspace(0.5, 2, 5), margin=1.5)),
    ("multilabel_margin_loss", dict()),
]


def _multi_inputs(name, rng, rows=6):
    x = rng.standard_normal((rows, 5))
    if name == "multi_margin_loss":
        return x, rng.integers(0, 5, rows)
    # targets listed up to the first -1, with a repeat and an empty row, the rest ignored
    y = np.array([[3, 0, -1, 1, 1], [0, 1, 2, 3, 4], [-1, 0, 0, 0, 0], [4, 4, -1, 2, 2],
                  [2, -1, 0, 0, 0], [1, 3, 0, -1, 4]])[:rows]
    return x, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", MULTI, ids=[f"{n}-{k}" for n, k in MULTI])
def test_class_index_margin_losses_equal_torch(name, kwargs, dtype):
    x, y = _multi_inputs(name, _rng(10))
    for reduction in ("none", "mean", "sum"):
        for rows in (x, x[0]):  # a batch, and one unbatched sample
            target = y if rows.ndim == 2 else y[0]
            out = []
            for lib, functional in ((fg, F), (torch, TF)):
                xt = lib.tensor(rows.astype(dtype), requires_grad=True)
                loss = getattr(functional, name)(xt, lib.tensor(target),
                                                 **_kwargs(_typed(kwargs, dtype, lib), lib),
                                                 reduction=reduction)
                w = _rng(11).uniform(0.5, 1.5, tuple(loss.shape)).astype(dtype)
                (loss * lib.tensor(w)).sum().backward()
                value = loss.detach().numpy() if lib is torch else loss.numpy()
                out.append((value, np.asarray(xt.grad)))
            for a, b in zip(out[0], out[1]):
                np.testing.assert_allclose(a, b, **TOL[dtype], err_msg=reduction)


def _typed(kwargs, dtype, lib):
    out = dict(kwargs)
    if "weight" in out:
        out["weight"] = out["weight"].astype(dtype)
    return out


@pytest.mark.parametrize("name,kwargs", MULTI, ids=[f"{n}-{k}" for n, k in MULTI])
def test_class_index_margin_losses_gradcheck(name, kwargs):
    x, y = _multi_inputs(name, _rng(12))
    fn = getattr(F, name)
    kw = _kwargs(kwargs, fg)
    assert fg.gradcheck(lambda t: fn(t, y, **kw, reduction="none"),
                        (fg.tensor(x, requires_grad=True),))


DISTANCES = {
    "default": None,
    "l1": lambda lib: (lambda u, v: (u - v).abs().sum(dim=-1)),
    "cosine": lambda lib: (lambda u, v: 1 - (u * v).sum(dim=-1)
                           / ((u * u).sum(dim=-1) * (v * v).sum(dim=-1)).sqrt()),
}


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("distance", list(DISTANCES))
def test_triplet_with_distance_equals_torch(distance, swap):
    arrays = [a * 0.6 for a in _triplet(_rng(13))[0]]
    out = []
    for lib, functional in ((fg, F), (torch, TF)):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        make = DISTANCES[distance]
        loss = functional.triplet_margin_with_distance_loss(
            *tensors, distance_function=make(lib) if make else None, margin=0.8, swap=swap,
            reduction="none")
        (loss * lib.tensor(np.linspace(0.5, 1.5, 5))).sum().backward()
        value = loss.detach().numpy() if lib is torch else loss.numpy()
        out.append([value] + [np.asarray(t.grad) for t in tensors])
    assert out[0][0].max() > 0  # some triplets are inside the margin
    for a, b in zip(out[0], out[1]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    module = nn.TripletMarginWithDistanceLoss(margin=0.8, swap=swap)
    assert module(*[fg.tensor(a) for a in arrays]).item() == pytest.approx(
        torch.nn.TripletMarginWithDistanceLoss(margin=0.8, swap=swap)(
            *[torch.tensor(a) for a in arrays]).item(), rel=1e-12)


def test_class_index_margin_modules_equal_torch():
    x, y = _multi_inputs("multi_margin_loss", _rng(14))
    w = np.linspace(1, 2, 5)
    ours = nn.MultiMarginLoss(p=2, weight=fg.tensor(w))(fg.tensor(x), y).item()
    theirs = torch.nn.MultiMarginLoss(p=2, weight=torch.tensor(w))(torch.tensor(x),
                                                                   torch.tensor(y)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)
    x, y = _multi_inputs("multilabel_margin_loss", _rng(15))
    ours = nn.MultiLabelMarginLoss(reduction="sum")(fg.tensor(x), y).item()
    theirs = torch.nn.MultiLabelMarginLoss(reduction="sum")(torch.tensor(x),
                                                            torch.tensor(y)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("call,argument", [
    (lambda: F.multi_margin_loss(X, np.array([0, 1, 4])), "target"),
    (lambda: F.multi_margin_loss(X, np.array([0.0, 1.0, 2.0])), "target"),
    (lambda: F.multi_margin_loss(X, np.array([0, 1])), "target"),
    (lambda: F.multi_margin_loss(X, np.array([0, 1, 2]), p=3), "p"),
    (lambda: F.multi_margin_loss(X, np.array([0, 1, 2]), weight=np.ones(3)), "weight"),
    (lambda: F.multilabel_margin_loss(X, np.full((3, 4), -2)), "target"),
    (lambda: F.multilabel_margin_loss(X, np.zeros((3, 3), np.int64)), "target"),
    (lambda: F.multilabel_margin_loss(np.zeros((2, 3, 4)), np.zeros((2, 3, 4), np.int64)),
     "input"),
    (lambda: F.triplet_margin_with_distance_loss(X, X, X, margin=0), "margin"),
    (lambda: F.triplet_margin_with_distance_loss(X, X, X[0]), "dimensions"),
    (lambda: F.triplet_margin_with_distance_loss(X, X, X, distance_function=3), "distance"),
])
def test_more_bad_arguments_are_refused_naming_them(call, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        call()


def test_nll_loss_2d_is_nll_loss_on_images_and_warns():
    rng = _rng(20)
    x, y = rng.standard_normal((2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5))
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        ours = nn.NLLLoss2d(ignore_index=1)(fg.tensor(x), y).item()
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        theirs = torch.nn.NLLLoss2d(ignore_index=1)(torch.tensor(x), torch.tensor(y)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)
