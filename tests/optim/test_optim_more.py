"""NAdam, RAdam, Adamax, Adadelta: 20 steps beside torch.optim's, from the same start with the
same gradients, must leave the same parameters (tightly in float64, to float32 rounding in
float32); a small model trained end to end must follow torch's too."""
import copy

import numpy as np
import pytest

import fastgrad
from fastgrad import nn, optim
from fastgrad.nn import Parameter

torch = pytest.importorskip("torch")
SHAPES = [(4, 3), (3,), (2, 5), (2, 3, 4)]  # Adafactor factors matrices, and batches of them
STEPS = 20

CONFIGS = [
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, maximize=True, weight_decay=0.05)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9))),  # rho_t > 5 from step 6: both branches run
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.7), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.8), weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.8), maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5)),  # averaging from step 6
    ("ASGD", dict(lr=0.05, t0=3, weight_decay=0.1, maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-4, 1e-2), d=2.0)),
    ("Adafactor", dict(lr=0.2, weight_decay=0.1, maximize=True)),  # the update is clipped
]
IDS = [f"{name}-{kw}" for name, kw in CONFIGS]


def start_and_grads(dtype):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    # gradients of very different sizes, some exactly zero, so eps and max() matter
    grads = [[(rng.standard_normal(s) * 10.0 ** rng.integers(-4, 2)).astype(dtype)
              * (rng.random(s) > 0.1) for s in SHAPES] for _ in range(STEPS)]
    return start, grads


def trajectory(module, name, kwargs, start, grads):
    if module is torch.optim:
        params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in start]
        opt = getattr(torch.optim, name)(params, foreach=False, **kwargs)
    else:
        params = [Parameter(v.copy()) for v in start]
        opt = getattr(optim, name)(params, **kwargs)
    out = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.from_numpy(g.copy()) if module is torch.optim else g.copy()
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out, opt


@pytest.mark.parametrize("dtype,rtol,atol", [(np.float64, 1e-12, 1e-14),
                                             (np.float32, 2e-6, 1e-7)])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_trajectory_matches_torch(name, kwargs, dtype, rtol, atol):
    start, grads = start_and_grads(dtype)
    ours, opt = trajectory(optim, name, kwargs, start, grads)
    theirs, t_opt = trajectory(torch.optim, name, kwargs, start, grads)
    for step, (a_step, e_step) in enumerate(zip(ours, theirs)):
        for a, e in zip(a_step, e_step):
            assert a.dtype == dtype
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"step {step + 1}")
    # the same state, under PyTorch's names
    t_state = t_opt.state_dict()["state"]
    state = opt.state_dict()["state"]
    assert state.keys() == t_state.keys()
    for key in state:
        assert state[key].keys() == t_state[key].keys()
        for buf, value in state[key].items():
            np.testing.assert_allclose(np.asarray(value, dtype=np.float64),
                                       t_state[key][buf].double().numpy(), rtol=rtol * 10,
                                       atol=atol, err_msg=buf)


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD",
                                  "Adafactor"])
def test_small_model_trains_like_torch(name):
    """A 2-layer network on the same data, float64: each library computes its own gradients."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 2))
    ours = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 2)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.numpy().copy()))
    opt = getattr(optim, name)(ours.parameters(), lr=0.01)
    t_opt = getattr(torch.optim, name)(theirs.parameters(), lr=0.01, foreach=False)
    xf, yf, xt, yt = fastgrad.tensor(x), fastgrad.tensor(y), torch.from_numpy(x), \
        torch.from_numpy(y)
    for _ in range(STEPS):
        opt.zero_grad()
        nn.functional.mse_loss(ours(xf), yf).backward()
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.mse_loss(theirs(xt), yt).backward()
        t_opt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


def _numpy_adamax(start, grads, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The formula of Kingma & Ba's Algorithm 2 (with PyTorch's eps inside the max)."""
    out, params = [], [v.copy() for v in start]
    m = [np.zeros_like(v) for v in start]
    u = [np.zeros_like(v) for v in start]
    for t, step_grads in enumerate(grads, 1):
        for i, g in enumerate(step_grads):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            u[i] = np.maximum(beta2 * u[i], np.abs(g) + eps)
            params[i] = params[i] - lr / (1 - beta1 ** t) * m[i] / u[i]
        out.append([p.copy() for p in params])
    return out


def test_adamax_matches_the_papers_formula():
    start, grads = start_and_grads(np.float64)
    ours, _ = trajectory(optim, "Adamax", {}, start, grads)
    for a_step, e_step in zip(ours, _numpy_adamax(start, grads)):
        for a, e in zip(a_step, e_step):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,kwargs", CONFIGS[::2], ids=IDS[::2])
def test_state_dict_round_trip_continues_identically(name, kwargs, tmp_path):
    start, grads = start_and_grads(np.float64)
    full, _ = trajectory(optim, name, kwargs, start, grads)
    params = [Parameter(v.copy()) for v in start]
    opt = getattr(optim, name)(params, **kwargs)
    for step_grads in grads[:10]:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        opt.step()
    fastgrad.save(copy.deepcopy(opt.state_dict()), tmp_path / "opt")
    params2 = [Parameter(p.numpy().copy()) for p in params]
    opt2 = getattr(optim, name)(params2, **kwargs)
    opt2.load_state_dict(fastgrad.load(tmp_path / "opt"))
    for step_grads in grads[10:]:
        for p, g in zip(params2, step_grads):
            p.grad = g.copy()
        opt2.step()
    for a, e in zip(params2, full[-1]):
        np.testing.assert_array_equal(a.numpy(), e)


@pytest.mark.parametrize("name,argument,value", [
    ("NAdam", "momentum_decay", -0.1), ("NAdam", "eps", -1.0), ("NAdam", "betas", (0.9, 1.0)),
    ("RAdam", "weight_decay", float("nan")), ("RAdam", "betas", (-0.1, 0.9)),
    ("Adamax", "lr", -1.0), ("Adamax", "betas", (1.0, 0.9)),
    ("Adadelta", "rho", 1.5), ("Adadelta", "rho", -0.5), ("Adadelta", "eps", -1e-3),
    ("Adafactor", "beta2_decay", 0.5), ("Adafactor", "d", 0.5), ("Adafactor", "eps", (0, -1)),
    ("Rprop", "etas", (0.5, 0.9)), ("Rprop", "etas", (1.1, 1.2)), ("ASGD", "weight_decay", -1),
])
def test_bad_hyperparameters_are_refused_naming_them(name, argument, value):
    params = [Parameter(np.ones(3))]
    with pytest.raises(ValueError, match=argument.rstrip("s")):
        getattr(optim, name)(params, **{argument: value})
    with pytest.raises(ValueError):  # PyTorch refuses them too
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(3))], **{argument: value})


def test_defaults_are_pytorchs():
    for name in ("NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD", "Adafactor"):
        ours = getattr(optim, name)([Parameter(np.ones(2))]).defaults
        theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))]).defaults
        for key, value in ours.items():
            assert theirs[key] == value, (name, key)


@pytest.fixture
def float64_default():
    fastgrad.set_default_dtype(fastgrad.float64)
    torch.set_default_dtype(torch.float64)
    yield
    fastgrad.set_default_dtype(fastgrad.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name,kwargs", [("NAdam", dict(lr=0.01)),
                                         ("ASGD", dict(lr=0.05, t0=5))])
def test_scalar_state_follows_the_default_dtype_as_torch(name, kwargs, float64_default):
    """PyTorch keeps NAdam's mu_product and ASGD's eta and mu in tensors of the default dtype:
    under float64 they are not rounded to float32."""
    start, grads = start_and_grads(np.float64)
    ours, _ = trajectory(optim, name, kwargs, start, grads)
    theirs, _ = trajectory(torch.optim, name, kwargs, start, grads)
    for a, e in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(a, e, rtol=1e-13, atol=1e-15)


NAN_ARGUMENTS = [("NAdam", n) for n in ("lr", "eps", "weight_decay", "momentum_decay")] + \
    [("RAdam", n) for n in ("lr", "eps", "weight_decay")] + \
    [("Adamax", n) for n in ("lr", "eps", "weight_decay")] + \
    [("Adadelta", n) for n in ("lr", "rho", "eps", "weight_decay")] + \
    [("Rprop", "lr"), ("ASGD", "lr"), ("ASGD", "lambd"), ("ASGD", "alpha"), ("ASGD", "t0"),
     ("ASGD", "weight_decay"), ("Adafactor", "lr"), ("Adafactor", "beta2_decay"),
     ("Adafactor", "d"), ("Adafactor", "weight_decay"), ("LBFGS", "lr"),
     ("LBFGS", "tolerance_grad"), ("LBFGS", "tolerance_change")]


@pytest.mark.parametrize("name,argument", NAN_ARGUMENTS)
def test_nan_hyperparameters_are_refused_naming_them(name, argument):
    """A NaN passes every `value < 0` check and would turn each weight into NaN at the first
    step: it is refused at construction, naming the argument."""
    params = [Parameter(np.ones(3))]
    with pytest.raises(ValueError, match=argument if argument != "lr" else "learning rate"):
        getattr(optim, name)(params, **{argument: float("nan")})


@pytest.mark.parametrize("argument,value", [("etas", (float("nan"), 1.2)),
                                            ("step_sizes", (1e-6, float("nan")))])
def test_rprop_nan_pairs_are_refused(argument, value):
    with pytest.raises(ValueError, match=argument.rstrip("s")):
        optim.Rprop([Parameter(np.ones(3))], **{argument: value})
