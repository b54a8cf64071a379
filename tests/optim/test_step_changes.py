"""SGD and Adam read each step's arrays afresh: what a user changes between two steps (a new
gradient Tensor, the parameter's data, the learning rate through a scheduler, a new parameter
group, a loaded state dict, a missing gradient, a replaced state buffer) is what the next step
uses, as in PyTorch.

Each case runs the same script of steps and changes through fastgrad and through torch.optim
2.13 (the single-tensor path, foreach=False) from the same start and gradients, and compares
the parameters after every step.
"""
import copy

import numpy as np
import pytest

import fastgrad
from fastgrad import optim
from fastgrad.optim import adam as adam_module
from fastgrad.optim import lr_scheduler
from fastgrad.optim import sgd as sgd_module

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (4,), (2, 4), (2,)]
EXTRA_SHAPE = (3, 2)  # the parameter a case adds in a new group
STEPS = 10
CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
]
CONFIG_IDS = [f"{name}-{kw}" for name, kw in CONFIGS]
DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


class Framework:
    """The few calls a script makes, for fastgrad or torch."""

    def __init__(self, module):
        self.module = module
        self.is_torch = module is torch

    def tensor(self, array):
        return torch.from_numpy(array.copy()) if self.is_torch else fastgrad.tensor(array.copy())

    def parameter(self, array):
        return self.module.nn.Parameter(self.tensor(array))

    def values(self, p):
        if isinstance(p, np.ndarray):  # a fastgrad state buffer
            return p.copy()
        return (p.detach().numpy() if self.is_torch else p.numpy()).copy()

    def buffer(self, array):
        """A state buffer: a tensor in torch, an array in fastgrad."""
        return self.tensor(array) if self.is_torch else array.copy()

    def optimizer(self, name, params, kwargs):
        if self.is_torch:
            return getattr(torch.optim, name)(params, foreach=False, **kwargs)
        return getattr(optim, name)(params, **kwargs)

    def step_lr(self, opt):
        return (torch.optim.lr_scheduler if self.is_torch else lr_scheduler).StepLR(
            opt, step_size=3, gamma=0.5)


def run(module, name, kwargs, dtype, change=None, grad_of=None):
    """Parameter values after each of STEPS steps. Before step k, grad_of(k, i) gives
    parameter i's gradient (None: no gradient this step), then change(fw, opt, params, k)
    may change anything; it may append parameters to `params`."""
    fw = Framework(module)
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s).astype(dtype) for s in SHAPES + [EXTRA_SHAPE]]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES + [EXTRA_SHAPE]]
             for _ in range(STEPS)]
    params = [fw.parameter(v) for v in start[:len(SHAPES)]]
    params_start = start  # a change may add parameters from the same start values
    opt = fw.optimizer(name, params, kwargs)
    trajectory = []
    for k in range(STEPS):
        for i, p in enumerate(params):
            g = grads[k][i] if grad_of is None else grad_of(k, i, grads[k][i])
            p.grad = None if g is None else fw.tensor(g)
        if change is not None:
            change(fw, opt, params, k, params_start)
        opt.step()
        trajectory.append([fw.values(p) for p in params])
    return trajectory


def assert_matches_torch(name, kwargs, dtype, change=None, grad_of=None):
    ours = run(fastgrad, name, kwargs, dtype, change, grad_of)
    theirs = run(torch, name, kwargs, dtype, change, grad_of)
    assert len(ours) == len(theirs)
    for k, (a_step, e_step) in enumerate(zip(ours, theirs)):
        assert len(a_step) == len(e_step)
        for i, (a, e) in enumerate(zip(a_step, e_step)):
            assert a.dtype == e.dtype
            np.testing.assert_allclose(a, e, err_msg=f"after step {k + 1}, parameter {i}",
                                       **TOLERANCE[dtype])


cases = pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


@dtypes
@cases
def test_a_new_gradient_tensor_every_step(name, kwargs, dtype):
    assert_matches_torch(name, kwargs, dtype)


@dtypes
@cases
def test_a_gradient_missing_in_some_steps(name, kwargs, dtype):
    # Parameter 1 has none at steps 0-1 (its state starts later), parameter 2 none at step 5.
    def grad_of(k, i, g):
        return None if (i == 1 and k < 2) or (i == 2 and k == 5) else g
    assert_matches_torch(name, kwargs, dtype, grad_of=grad_of)


@dtypes
@cases
def test_the_same_gradient_array_written_in_place(name, kwargs, dtype):
    # zero_grad(set_to_none=False) keeps each gradient array; new values are written into it.
    def change(fw, opt, params, k, start):
        if k == 0:
            return
        kept = [p.grad for p in params]
        opt.zero_grad(set_to_none=False)
        for p, g in zip(params, kept):
            assert p.grad is not None
            p.grad.add_(g * 0 + float(k))  # g * 0: a new tensor of the right shape
    assert_matches_torch(name, kwargs, dtype, change=change)


@dtypes
@cases
def test_parameter_data_replaced(name, kwargs, dtype):
    def change(fw, opt, params, k, start):
        if k == 4:
            params[0].data = fw.tensor(np.full(SHAPES[0], 0.5, dtype))
    assert_matches_torch(name, kwargs, dtype, change=change)


@dtypes
@cases
def test_learning_rate_changed_by_a_scheduler(name, kwargs, dtype):
    schedulers = {}

    def change(fw, opt, params, k, start):
        if k == 0:
            schedulers[fw.is_torch] = fw.step_lr(opt)
        else:
            schedulers[fw.is_torch].step()
    assert_matches_torch(name, kwargs, dtype, change=change)


@dtypes
@cases
def test_a_parameter_group_added_mid_training(name, kwargs, dtype):
    def change(fw, opt, params, k, start):
        if k == 3:
            extra = fw.parameter(start[len(SHAPES)])
            opt.add_param_group({"params": [extra], "lr": kwargs["lr"] * 2})
            params.append(extra)  # it gets gradients from the next step on
    assert_matches_torch(name, kwargs, dtype, change=change)


@dtypes
@cases
def test_a_state_dict_loaded_mid_training(name, kwargs, dtype):
    saved = {}

    def change(fw, opt, params, k, start):
        if k == 2:
            saved[fw.is_torch] = copy.deepcopy(opt.state_dict())
        if k == 6:  # back to the state of step 2 (the parameters keep their values)
            opt.load_state_dict(saved[fw.is_torch])
    assert_matches_torch(name, kwargs, dtype, change=change)


@dtypes
@pytest.mark.parametrize("name,kwargs,buffer", [
    ("SGD", dict(lr=0.05, momentum=0.9), "momentum_buffer"),
    ("Adam", dict(lr=0.01), "exp_avg"),
    ("Adam", dict(lr=0.01), "exp_avg_sq"),
    ("Adam", dict(lr=0.01, amsgrad=True), "max_exp_avg_sq")])
def test_a_state_buffer_replaced(name, kwargs, buffer, dtype):
    def change(fw, opt, params, k, start):
        if k == 4:
            old = opt.state[params[0]][buffer]
            opt.state[params[0]][buffer] = fw.buffer(fw.values(old) * 2)
    assert_matches_torch(name, kwargs, dtype, change=change)


@dtypes
def test_hyperparameters_changed_in_the_group(dtype):
    def change(fw, opt, params, k, start):
        group = opt.param_groups[0]
        if k == 3:
            group["eps"] = 1e-3
        if k == 5:
            group["betas"] = (0.5, 0.9)
            group["weight_decay"] = 0.1
    assert_matches_torch("Adam", dict(lr=0.01), dtype, change=change)


@dtypes
def test_momentum_switched_on_mid_training(dtype):
    def change(fw, opt, params, k, start):
        if k == 4:
            opt.param_groups[0]["momentum"] = 0.9
    assert_matches_torch("SGD", dict(lr=0.05), dtype, change=change)


# ---- the general path still guards what the kernels would read --------------------------------
@pytest.mark.parametrize("name,buffer", [("Adam", "exp_avg"), ("SGD", "momentum_buffer")])
def test_a_state_buffer_that_is_the_parameter_itself_is_refused(name, buffer):
    params = [fastgrad.nn.Parameter(fastgrad.tensor(np.ones((3, 2))))]
    kwargs = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1)
    opt = getattr(optim, name)(params, **kwargs)
    params[0].grad = fastgrad.tensor(np.ones((3, 2)))
    opt.step()
    opt.state[params[0]][buffer] = params[0].numpy()  # the same memory as the parameter
    before = params[0].numpy().copy()
    with pytest.raises(ValueError, match="overlaps"):
        opt.step()
    np.testing.assert_array_equal(params[0].numpy(), before)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_steady_steps_take_one_call_from_the_group_and_match_the_general_path(
        name, kwargs, monkeypatch):
    # After the first step (which starts the state), a step of ready arrays goes through the
    # group call (adam_step_group / sgd_step_group), never through the general path, and
    # its result is bit for bit what the general path gives.
    rng = np.random.default_rng(4)
    start = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(4)]

    def trajectory(general_only):
        params = [fastgrad.nn.Parameter(fastgrad.tensor(v.copy())) for v in start]
        opt = getattr(optim, name)(params, **kwargs)
        values = []
        for k, step_grads in enumerate(grads):
            for p, g in zip(params, step_grads):
                p.grad = fastgrad.tensor(g)
            if general_only:
                with monkeypatch.context() as m:
                    decline = staticmethod(lambda *a: None)  # the group kernel takes nothing
                    m.setattr(adam_module.Adam, "_group_kernel", decline)
                    m.setattr(sgd_module.SGD, "_group_kernel", decline)
                    opt.step()
            elif k == 0:
                opt.step()
            else:
                def refuse(*args):
                    raise AssertionError("a steady step took the general path")
                with monkeypatch.context() as m:
                    m.setattr(adam_module, "step_many", refuse)
                    m.setattr(sgd_module, "step_many", refuse)
                    opt.step()
            values.append([p.numpy().copy() for p in params])
        return values

    fast, general = trajectory(False), trajectory(True)
    for a_step, e_step in zip(fast, general):
        for a, e in zip(a_step, e_step):
            np.testing.assert_array_equal(a, e)
