"""fastgrad.optim: each optimizer follows PyTorch's update rule to the formula.

Every check runs an optimizer for several steps on fixed random gradients and compares the whole
parameter trajectory with an independent computation: torch.optim with identical settings (when
torch is installed) and, for SGD and Adam, a NumPy transcription of the documented formulas.
"""
import copy

import numpy as np
import pytest

import fastgrad
from fastgrad import _kernels, optim
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
        trajectory.append([p.numpy().copy() for p in params])
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
    assert len(actual) == len(expected)  # zip(strict=True) needs Python 3.10
    for step, (a_step, e_step) in enumerate(zip(actual, expected)):
        assert len(a_step) == len(e_step)
        for a, e in zip(a_step, e_step):
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


# ---- one binding call per group: bit for bit the update one parameter at a time -------------
class OneByOne:
    """The per-parameter path of the Optimizer base class, with the single-parameter kernels:
    how SGD and Adam stepped before they made one binding call per parameter group."""

    _step_group = optim.Optimizer._step_group

    def _update(self, param, grad, state, group):
        if group["maximize"]:
            grad = np.negative(grad)
        if isinstance(self, optim.SGD):
            momentum, buf, first = group["momentum"], state.get("momentum_buffer"), True
            if momentum != 0:
                first = buf is None
                if first:
                    buf = state["momentum_buffer"] = np.empty_like(param.data)
            _kernels.sgd_step(param.numpy(), grad, buf, group["lr"], momentum, group["dampening"],
                              group["weight_decay"], bool(group["nesterov"]), first)
            return
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param.data),
                         exp_avg_sq=np.zeros_like(param.data))
        if group["amsgrad"] and state.get("max_exp_avg_sq") is None:
            state["max_exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        _kernels.adam_step(param.numpy(), grad, state["exp_avg"], state["exp_avg_sq"],
                           state["max_exp_avg_sq"] if group["amsgrad"] else None, group["lr"],
                           *group["betas"], group["eps"], group["weight_decay"],
                           bool(group["decoupled_weight_decay"]), int(state["step"]))


ONE_BY_ONE = {name: type(f"OneByOne{name}", (OneByOne, getattr(optim, name)), {})
              for name in ("SGD", "Adam", "AdamW")}
MIXED_SHAPES = [(3, 4), (5,), (1,), (2, 3, 2), (0,)]
DTYPE_SETS = {"float64": [np.float64], "float32": [np.float32],
              "mixed": [np.float32, np.float64]}  # one group holding both dtypes


def mixed_start(dtypes, seed=2):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtypes[i % len(dtypes)])
            for i, shape in enumerate(MIXED_SHAPES)]


def mixed_grads(start, steps=STEPS, seed=3):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(v.shape).astype(v.dtype) for v in start] for _ in range(steps)]


def assert_same_bits(actual, expected):
    assert len(actual) == len(expected)
    for step, (a_step, e_step) in enumerate(zip(actual, expected)):
        assert len(a_step) == len(e_step)
        for i, (a, e) in enumerate(zip(a_step, e_step)):
            assert a.dtype == e.dtype
            np.testing.assert_array_equal(a, e, err_msg=f"step {step + 1}, parameter {i}")


def assert_same_state(opt, reference):
    ours, theirs = opt.state_dict(), reference.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for index, entries in ours["state"].items():
        assert entries.keys() == theirs["state"][index].keys()
        for name, value in entries.items():
            np.testing.assert_array_equal(value, theirs["state"][index][name])


@pytest.mark.parametrize("dtypes", list(DTYPE_SETS.values()), ids=list(DTYPE_SETS))
@pytest.mark.parametrize("name,kwargs", [c for c, _ in FUSED], ids=[i for _, i in FUSED])
def test_one_call_per_group_is_bit_identical_to_one_call_per_parameter(name, kwargs, dtypes):
    start = mixed_start(dtypes)
    grads = mixed_grads(start)
    ours = run_fastgrad(lambda ps: getattr(optim, name)(ps, **kwargs), start, grads)
    reference = run_fastgrad(lambda ps: ONE_BY_ONE[name](ps, **kwargs), start, grads)
    assert_same_bits(ours, reference)


def run_both(name, kwargs, start, grads, between=None, groups=None):
    """The same steps through `name` and its one-by-one reference; between(opt, step) may
    change either optimizer (the same way) before each step. Returns both optimizers."""
    results = []
    for cls in (getattr(optim, name), ONE_BY_ONE[name]):
        params = [Parameter(v.copy()) for v in start]
        opt = cls(groups(params) if groups else params, **kwargs)
        for step, step_grads in enumerate(grads):
            for p, g in zip(params, step_grads):
                p.grad = None if g is None else g.copy()
            if between:
                between(opt, step)
            opt.step()
        results.append((opt, [p.numpy().copy() for p in params]))
    (opt, values), (reference, expected) = results
    assert_same_bits([values], [expected])
    assert_same_state(opt, reference)
    return opt, reference


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_parameters_gaining_a_gradient_later_start_their_state_then(name):
    # Parameter 1 has no gradient for three steps: its momentum buffer / Adam step count
    # starts later than the others', so one call mixes new and old state.
    start = mixed_start([np.float64])
    grads = [[None if (i == 1 and step < 3) else g for i, g in enumerate(step_grads)]
             for step, step_grads in enumerate(mixed_grads(start))]
    opt, _ = run_both(name, dict(lr=0.05, momentum=0.9) if name == "SGD" else dict(lr=0.05),
                      start, grads)
    if name == "Adam":
        steps = [opt.state[p]["step"] for p in opt.param_groups[0]["params"]]
        assert steps == [STEPS, STEPS - 3] + [STEPS] * (len(steps) - 2)


def test_adam_step_counts_that_differ_after_load_state_dict():
    start = mixed_start([np.float64, np.float32])
    grads = mixed_grads(start)

    def load_uneven_steps(opt, step):
        if step == 4:
            sd = copy.deepcopy(opt.state_dict())
            for index, entries in sd["state"].items():
                entries["step"] = float(3 + 5 * index)  # PyTorch stores a float
            opt.load_state_dict(sd)

    run_both("Adam", dict(lr=0.01, weight_decay=0.1), start, grads, between=load_uneven_steps)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_amsgrad_switched_on_mid_training(name):
    start = mixed_start([np.float64])

    def switch_on(opt, step):
        if step == 5:
            opt.param_groups[0]["amsgrad"] = True

    opt, _ = run_both(name, dict(lr=0.01), start, mixed_grads(start), between=switch_on)
    assert all("max_exp_avg_sq" in opt.state[p] for p in opt.param_groups[0]["params"])


def test_groups_with_their_own_hyperparameters_and_dtypes():
    start = mixed_start([np.float32, np.float64])

    def groups(ps):
        return [{"params": ps[:2], "lr": 0.1, "momentum": 0.5},
                {"params": ps[2:], "nesterov": True, "weight_decay": 0.01, "maximize": True}]

    run_both("SGD", dict(lr=0.01, momentum=0.9), start, mixed_grads(start), groups=groups)


GRAD_FORMS = {
    "Tensor": lambda g: fastgrad.tensor(g),
    "strided": lambda g: np.repeat(g[..., None], 2, axis=-1)[..., 0],
}


@pytest.mark.parametrize("form,error", [
    (lambda g: g.astype(np.float32), TypeError),  # PyTorch: "different type"
    (lambda g: g.tolist(), TypeError),
    (lambda g: g.reshape(-1), RuntimeError)])  # PyTorch: "different size"
def test_assigning_a_grad_of_another_dtype_shape_or_kind_is_refused(form, error):
    p = Parameter(np.zeros((2, 3)))
    with pytest.raises(error, match="grad"):
        p.grad = form(np.ones((2, 3)))
    assert p.grad is None


@pytest.mark.parametrize("form", list(GRAD_FORMS))
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.01)),
                                         ("AdamW", dict(lr=0.01, maximize=True))])
def test_gradients_that_need_converting_are_converted_as_before(name, kwargs, form):
    start = mixed_start([np.float64, np.float32])
    grads = mixed_grads(start)
    converted = [[GRAD_FORMS[form](g) if i % 2 == 0 else g for i, g in enumerate(step_grads)]
                 for step_grads in grads]
    # what the step sees: the gradient converted to the parameter's dtype
    as_used = [[np.asarray(getattr(c, "data", c), dtype=v.dtype) for c, v in zip(step, start)]
               for step in converted]
    params = [Parameter(v.copy()) for v in start]
    opt = getattr(optim, name)(params, **kwargs)
    ours = []
    for step_grads in converted:
        for p, g in zip(params, step_grads):
            p.grad = g  # as it is: a copy would make the strided one contiguous
        opt.step()
        ours.append([p.numpy().copy() for p in params])
    reference = run_fastgrad(lambda ps: ONE_BY_ONE[name](ps, **kwargs), start, as_used)
    assert_same_bits(ours, reference)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("SGD", dict(lr=0.1, maximize=True))])
def test_a_refused_step_changes_nothing(name, kwargs):
    start = mixed_start([np.float64])
    grads = mixed_grads(start, steps=3)
    params = [Parameter(v.copy()) for v in start]
    reference = [Parameter(v.copy()) for v in start]
    opt, ref_opt = getattr(optim, name)(params, **kwargs), ONE_BY_ONE[name](reference, **kwargs)
    for p, r, g in zip(params, reference, grads[0]):
        p.grad, r.grad = g.copy(), g.copy()
    opt.step()
    ref_opt.step()
    for p, g in zip(params, grads[1]):
        p.grad = g.copy()
    params[3]._grad = params[3]._grad.reshape(-1)  # right size, wrong shape (set under the API)
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(ValueError, match="gradient shape"):
        opt.step()
    assert_same_bits([[p.data for p in params]], [[r.data for r in reference]])
    after = opt.state_dict()
    for index, entries in before["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(after["state"][index][key], value)
    # The step after the refused one is the step the reference takes next.
    for p, r, g in zip(params, reference, grads[2]):
        p.grad, r.grad = g.copy(), g.copy()
    opt.step()
    ref_opt.step()
    assert_same_bits([[p.data for p in params]], [[r.data for r in reference]])
    assert_same_state(opt, ref_opt)


def test_a_refused_first_step_leaves_no_momentum_buffer():
    param = Parameter(np.ones(3))
    param.numpy().flags.writeable = False
    opt = optim.SGD([param], lr=0.1, momentum=0.9)
    param.grad = np.ones(3)
    with pytest.raises(ValueError, match="read-only"):
        opt.step()
    assert "momentum_buffer" not in opt.state[param]
    param.numpy().flags.writeable = True
    opt.step()  # the first step after all: the buffer is the gradient
    np.testing.assert_array_equal(opt.state[param]["momentum_buffer"], np.ones(3))
    np.testing.assert_array_equal(param.data, np.full(3, 0.9))


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
            snapshot = ([p.numpy().copy() for p in params], copy.deepcopy(opt.state_dict()))
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
    assert params[0].grad is grad_array and not np.asarray(grad_array).any()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_parameters_without_gradient_are_skipped():
    params = [Parameter(v.copy()) for v in initial_values()]
    before = params[1].numpy().copy()
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


# ---- hyper-parameters: NaN, infinities and negative values are refused, naming the argument ----
NAN, INF = float("nan"), float("inf")
BAD_HYPERPARAMETERS = [
    (name, argument, value)
    for name, arguments in [("SGD", ["lr", "momentum", "weight_decay"]),
                            ("Adam", ["lr", "eps", "weight_decay"]),
                            ("AdamW", ["lr", "eps", "weight_decay"]),
                            ("RMSprop", ["lr", "alpha", "eps", "weight_decay", "momentum"]),
                            ("Adagrad", ["lr", "lr_decay", "weight_decay", "eps",
                                         "initial_accumulator_value"])]
    for argument in arguments
    for value in (NAN, INF, -0.5)
]


def torch_error(name, kwargs):
    """The message of PyTorch's constructor for these arguments, or None if it accepts them."""
    torch = pytest.importorskip("torch")
    try:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kwargs)
    except ValueError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("name,argument,value", BAD_HYPERPARAMETERS,
                         ids=[f"{n}-{a}={v}" for n, a, v in BAD_HYPERPARAMETERS])
def test_bad_hyperparameter_is_refused_with_pytorchs_message(name, argument, value):
    kwargs = {argument: value}
    if name == "SGD" and argument != "lr":
        kwargs["lr"] = 0.1
    with pytest.raises(ValueError, match=argument) as info:
        getattr(optim, name)([Parameter(np.ones(2))], **kwargs)
    expected = torch_error(name, kwargs)
    # PyTorch accepts a few of these (SGD's NaN or infinite lr, momentum and weight_decay;
    # Adam's infinite lr, eps and weight_decay) and the first step then makes every weight NaN;
    # where it refuses, the message is PyTorch's.
    if expected is not None:
        assert str(info.value).startswith(expected)


@pytest.mark.parametrize("betas", [(NAN, 0.999), (0.9, NAN), (INF, 0.9), (-0.1, 0.9),
                                   (0.9, 1.0)])
def test_bad_betas_are_refused_as_pytorch_does(betas):
    for name in ("Adam", "AdamW"):
        with pytest.raises(ValueError, match="beta") as info:
            getattr(optim, name)([Parameter(np.ones(2))], betas=betas)
        expected = torch_error(name, {"betas": betas})
        assert expected is not None and str(info.value).startswith(expected)


def test_sgd_dampening_may_be_negative_but_not_nan():
    optim.SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9, dampening=-0.5)  # as PyTorch
    with pytest.raises(ValueError, match="dampening"):
        optim.SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9, dampening=NAN)


@pytest.mark.parametrize("value", ["0.1", None, True, [0.1]], ids=["str", "None", "bool", "list"])
def test_hyperparameter_that_is_not_a_number_is_a_type_error_naming_it(value):
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.SGD([Parameter(np.ones(2))], lr=value)
    with pytest.raises(TypeError, match="eps must be a number"):
        optim.Adam([Parameter(np.ones(2))], eps=value)


def test_bad_hyperparameter_in_add_param_group_is_refused():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(3))
    opt = optim.Adam([a], lr=0.01)
    with pytest.raises(ValueError, match="learning rate: nan"):
        opt.add_param_group({"params": [b], "lr": NAN})
    with pytest.raises(ValueError, match="weight_decay"):
        opt.add_param_group({"params": [b], "weight_decay": INF})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": [b], "lr": 0.5})  # b was not taken by the refused groups


@pytest.mark.parametrize("name,argument", [("SGD", "lr"), ("Adam", "eps"), ("AdamW", "weight_decay"),
                                           ("RMSprop", "alpha"), ("Adagrad", "lr_decay")])
def test_bad_hyperparameter_in_load_state_dict_is_refused_and_changes_nothing(name, argument):
    params = [Parameter(np.ones(2))]
    opt = getattr(optim, name)(params, lr=0.1)
    params[0].grad = np.ones(2)
    opt.step()
    saved = opt.state_dict()
    before = copy.deepcopy(saved)
    saved["param_groups"][0][argument] = NAN
    with pytest.raises(ValueError, match=argument if argument != "lr" else "learning rate"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0][argument] == before["param_groups"][0][argument]
    opt.step()
    assert np.all(np.isfinite(params[0].data))


def test_loaded_state_without_its_buffers_is_refused_by_name():
    param = Parameter(np.ones(2))
    opt = optim.Adam([param])
    saved = opt.state_dict()
    saved["state"] = {0: {"step": 3}}
    with pytest.raises(ValueError, match="exp_avg"):
        opt.load_state_dict(saved)
    param.grad = np.ones(2)
    opt.step()  # the refused dict changed nothing: a first step
    assert opt.state[param]["step"] == 1


@pytest.mark.parametrize("name,kwargs", [("RMSprop", {}), ("RMSprop", dict(momentum=0.5, centered=True)),
                                         ("Adagrad", {}), ("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", {})])
def test_step_after_a_parameter_changed_shape_names_the_mismatch(name, kwargs):
    param = Parameter(np.ones((2, 2)))
    opt = getattr(optim, name)([param], **kwargs)
    param.grad = np.ones((2, 2))
    opt.step()
    param.data = np.zeros((3, 3))
    param.grad = np.ones((3, 3))
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        opt.step()
    np.testing.assert_array_equal(param.data, np.zeros((3, 3)))  # nothing written
