"""fastgrad.optim: each optimizer follows PyTorch's update rule to the formula.

Every check runs an optimizer for several steps on fixed random gradients and compares the whole
parameter trajectory with an independent computation: torch.optim with identical settings (when
torch is installed) and, for SGD and Adam, a NumPy transcription of the documented formulas.
"""
import copy

import numpy as np
import pytest

import fastgrad
from fastgrad import optim
from fastgrad.nn import Parameter

SHAPES = [(3, 4), (5,)]
STEPS = 12

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]
CONFIG_IDS = [f"{name}-{kw}" for name, kw in CONFIGS]


# ---- fixtures of the comparison: same start, same gradients for every implementation ------------
def initial_values(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradient_sequence(dtype=np.float64, steps=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(shape).astype(dtype) for shape in SHAPES] for _ in range(steps)]


def run_fastgrad(make_optimizer, start, grads):
    """Trajectory (a list of lists of arrays, one per step) of fastgrad parameters."""
    params = [Parameter(v.copy()) for v in start]
    opt = make_optimizer(params)
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory


def run_torch(make_optimizer, start, grads):
    torch = pytest.importorskip("torch")
    params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in start]
    opt = make_optimizer(params)
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.from_numpy(g.copy())
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def assert_same_trajectory(actual, expected, rtol, atol):
    for step, (a_step, e_step) in enumerate(zip(actual, expected, strict=True)):
        for a, e in zip(a_step, e_step, strict=True):
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"step {step + 1}")


# ---- against torch.optim ------------------------------------------------------------------
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_float64_trajectory_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    start, grads = initial_values(), gradient_sequence()
    ours = run_fastgrad(lambda ps: getattr(optim, name)(ps, **kwargs), start, grads)
    theirs = run_torch(lambda ps: getattr(torch.optim, name)(ps, foreach=False, **kwargs),
                       start, grads)
    assert_same_trajectory(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", CONFIGS[1::3], ids=CONFIG_IDS[1::3])
def test_float32_trajectory_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    start, grads = initial_values(np.float32), gradient_sequence(np.float32)
    ours = run_fastgrad(lambda ps: getattr(optim, name)(ps, **kwargs), start, grads)
    theirs = run_torch(lambda ps: getattr(torch.optim, name)(ps, foreach=False, **kwargs),
                       start, grads)
    assert ours[-1][0].dtype == np.float32
    assert_same_trajectory(ours, theirs, rtol=2e-5, atol=1e-6)


def test_param_groups_with_their_own_lr_match_torch():
    torch = pytest.importorskip("torch")
    start, grads = initial_values(), gradient_sequence()

    def groups(ps):
        return [{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]]}]

    ours = run_fastgrad(lambda ps: optim.SGD(groups(ps), lr=0.01, momentum=0.9), start, grads)
    theirs = run_torch(lambda ps: torch.optim.SGD(groups(ps), lr=0.01, momentum=0.9), start, grads)
    assert_same_trajectory(ours, theirs, rtol=1e-12, atol=1e-14)


def test_loads_a_pytorch_adam_state_dict_and_continues_identically():
    torch = pytest.importorskip("torch")
    start, grads = initial_values(), gradient_sequence()
    params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in start]
    torch_opt = torch.optim.Adam(params, lr=0.01, amsgrad=True, foreach=False)
    for step_grads in grads[:5]:
        for p, g in zip(params, step_grads):
            p.grad = torch.from_numpy(g.copy())
        torch_opt.step()
    middle = [p.detach().numpy().copy() for p in params]
    ours = run_fastgrad(lambda ps: _loaded(optim.Adam(ps, lr=0.01, amsgrad=True),
                                           torch_opt.state_dict()), middle, grads[5:])
    theirs = run_torch(lambda ps: _loaded(torch.optim.Adam(ps, lr=0.01, amsgrad=True,
                                                           foreach=False),
                                          torch_opt.state_dict()), middle, grads[5:])
    assert_same_trajectory(ours, theirs, rtol=1e-10, atol=1e-12)


def _loaded(opt, state_dict):
    opt.load_state_dict(state_dict)
    return opt


# ---- against the formulas, in NumPy (no torch needed) -------------------------------------
def reference_sgd(start, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False):
    params = [v.copy() for v in start]
    bufs = [None] * len(params)
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            g = -g if maximize else g
            g = g + weight_decay * params[i]
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            params[i] = params[i] - lr * g
        trajectory.append([p.copy() for p in params])
    return trajectory


def reference_adam(start, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled=False):
    beta1, beta2 = betas
    params = [v.copy() for v in start]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            g = -g if maximize else g
            if decoupled:
                params[i] = params[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * params[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat = m[i] / (1 - beta1 ** t)
            if amsgrad:
                v_max[i] = np.maximum(v_max[i], v[i])
                v_hat = v_max[i] / (1 - beta2 ** t)
            else:
                v_hat = v[i] / (1 - beta2 ** t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append([p.copy() for p in params])
    return trajectory


FUSED = [(c, i) for c, i in zip(CONFIGS, CONFIG_IDS) if c[0] in ("SGD", "Adam", "AdamW")]


@pytest.mark.parametrize("name,kwargs", [c for c, _ in FUSED], ids=[i for _, i in FUSED])
def test_trajectory_matches_numpy_transcription_of_the_formula(name, kwargs):
    start, grads = initial_values(), gradient_sequence()
    ours = run_fastgrad(lambda ps: getattr(optim, name)(ps, **kwargs), start, grads)
    if name == "SGD":
        expected = reference_sgd(start, grads, **kwargs)
    else:
        kw = dict(kwargs)
        if name == "AdamW":
            kw.setdefault("weight_decay", 1e-2)
        expected = reference_adam(start, grads, decoupled=name == "AdamW", **kw)
    # The reference divides by sqrt(1 - beta2^t) in another order than PyTorch: not bit-exact.
    assert_same_trajectory(ours, expected, rtol=1e-9, atol=1e-12)


def test_param_groups_update_like_separate_optimizers():
    start, grads = initial_values(), gradient_sequence()
    both = run_fastgrad(lambda ps: optim.Adam([{"params": [ps[0]], "lr": 0.1},
                                               {"params": [ps[1]], "betas": (0.5, 0.9)}],
                                              lr=0.01), start, grads)
    first = run_fastgrad(lambda ps: optim.Adam([ps[0]], lr=0.1), start, grads)
    second = run_fastgrad(lambda ps: optim.Adam([ps[1]], lr=0.01, betas=(0.5, 0.9)), start, grads)
    for step in range(STEPS):
        np.testing.assert_array_equal(both[step][0], first[step][0])
        np.testing.assert_array_equal(both[step][1], second[step][1])


# ---- state_dict: resume exactly where training stopped ----------------------------------
ROUND_TRIP_CONFIGS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
]


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "fastgrad.save/load"])
@pytest.mark.parametrize("name,kwargs", ROUND_TRIP_CONFIGS, ids=[n for n, _ in ROUND_TRIP_CONFIGS])
def test_state_dict_round_trip_continues_identically(name, kwargs, through_file, tmp_path):
    start, grads = initial_values(), gradient_sequence(steps=10)
    params = [Parameter(v.copy()) for v in start]
    opt = getattr(optim, name)(params, **kwargs)
    snapshot = None
    for step, step_grads in enumerate(grads):
        if step == 5:
            snapshot = ([p.data.copy() for p in params], copy.deepcopy(opt.state_dict()))
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        opt.step()

    values, state = snapshot
    if through_file:
        fastgrad.io.save(state, tmp_path / "optim.safetensors")
        state = fastgrad.io.load(tmp_path / "optim.safetensors")
    resumed = run_fastgrad(lambda ps: _loaded(getattr(optim, name)(ps, **kwargs), state),
                           values, grads[5:])
    for p, r in zip(params, resumed[-1]):
        np.testing.assert_array_equal(p.data, r)


def test_state_dict_has_pytorchs_layout_of_plain_arrays_and_numbers():
    params = [Parameter(v) for v in initial_values()]
    opt = optim.Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.1}])
    for p, g in zip(params, gradient_sequence(steps=1)[0]):
        p.grad = g
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.1 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 1}
    assert sd["state"][0]["step"] == 1 and isinstance(sd["state"][0]["step"], int)
    assert isinstance(sd["state"][1]["exp_avg"], np.ndarray)
    assert sd["state"][1]["exp_avg_sq"].shape == SHAPES[1]


def test_load_state_dict_copies_so_the_dict_is_not_aliased():
    params = [Parameter(v) for v in initial_values()]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    for p, g in zip(params, gradient_sequence(steps=1)[0]):
        p.grad = g
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    opt.load_state_dict(sd)
    opt.step()
    assert not np.shares_memory(sd["state"][0]["momentum_buffer"],
                                opt.state[params[0]]["momentum_buffer"])


def test_load_state_dict_rejects_mismatches_by_name():
    params = [Parameter(v) for v in initial_values()]
    opt = optim.Adam(params)
    for p, g in zip(params, gradient_sequence(steps=1)[0]):
        p.grad = g
    opt.step()
    sd = copy.deepcopy(opt.state_dict())

    with pytest.raises(ValueError, match="parameter groups"):
        optim.Adam([{"params": [params[0]]}, {"params": [params[1]]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="group 0"):
        optim.Adam([params[0]]).load_state_dict(sd)
    bad = copy.deepcopy(sd)
    bad["state"][1]["exp_avg"] = np.zeros((7,))
    with pytest.raises(ValueError, match=r"exp_avg.*\(7,\)"):
        optim.Adam(params).load_state_dict(bad)
    with pytest.raises(ValueError, match="state"):
        optim.Adam(params).load_state_dict({"param_groups": sd["param_groups"]})


# ---- the rest of the Optimizer contract ----------------------------------------------------
def test_zero_grad_sets_none_by_default_or_zeros_in_place():
    params = [Parameter(v) for v in initial_values()]
    opt = optim.SGD(params, lr=0.1)
    for p, g in zip(params, gradient_sequence(steps=1)[0]):
        p.grad = g
    grad_array = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad_array and not grad_array.any()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_parameters_without_gradient_are_skipped():
    params = [Parameter(v.copy()) for v in initial_values()]
    before = params[1].data.copy()
    opt = optim.Adam(params, lr=0.1)
    params[0].grad = np.ones_like(params[0].data)
    opt.step()
    np.testing.assert_array_equal(params[1].data, before)
    assert params[1] not in opt.state or not opt.state[params[1]]


def test_step_returns_the_closure_loss():
    param = Parameter(np.ones(3))
    opt = optim.SGD([param], lr=0.5)

    def closure():
        param.grad = np.full(3, 2.0)
        return 7.0

    assert opt.step(closure) == 7.0
    np.testing.assert_array_equal(param.data, np.zeros(3))


def test_add_param_group_fills_defaults():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(3))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=-0.1),
    lambda ps: optim.SGD(ps, lr=0.1, nesterov=True),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=-1),
    lambda ps: optim.Adam(ps, betas=(1.0, 0.999)),
    lambda ps: optim.Adam(ps, eps=-1),
    lambda ps: optim.AdamW(ps, weight_decay=-1),
    lambda ps: optim.RMSprop(ps, alpha=-0.5),
    lambda ps: optim.Adagrad(ps, lr_decay=-1),
    lambda ps: optim.Adam([]),
], ids=["lr<0", "nesterov-no-momentum", "nesterov-dampening", "momentum<0", "beta1=1", "eps<0",
        "weight_decay<0", "alpha<0", "lr_decay<0", "empty"])
def test_invalid_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make([Parameter(np.ones(2))])


def test_params_must_be_an_iterable_of_parameters():
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(Parameter(np.ones(2)), lr=0.1)
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)


def test_defaults_are_pytorchs():
    p = [Parameter(np.ones(2))]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    assert optim.Adam(p).defaults["betas"] == (0.9, 0.999)
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    assert optim.RMSprop(p).defaults["alpha"] == 0.99
    assert optim.Adagrad(p).defaults["eps"] == 1e-10
