"""fastgrad.optim.lr_scheduler: the lr sequences are PyTorch's, value for value.

Each scheduler is stepped alongside torch.optim.lr_scheduler's with identical settings on two
parameter groups with different lrs, and the recorded lrs (and, for OneCycleLR, the cycled
momentum) must be equal. Closed-form checks cover the same schedules without torch.
"""
import copy
import math

import numpy as np
import pytest

import fastgrad
from fastgrad import optim
from fastgrad.nn import Parameter
from fastgrad.optim import lr_scheduler

STEPS = 45

SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),  # several cycles past T_max
    ("CosineAnnealingLR", dict(T_max=40)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=9, pct_start=0.25,
                        anneal_strategy="linear", three_phase=True)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=50, cycle_momentum=False, div_factor=10.0,
                        final_div_factor=100.0)),
]
IDS = [f"{name}-{kw}" for name, kw in SCHEDULES]


def two_group_optimizer(module, params, name="SGD"):
    """Two groups with different lrs; momentum so that OneCycleLR can cycle it."""
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.03}]
    if name == "Adam":
        return module.Adam(groups)
    return module.SGD(groups, momentum=0.9)


def record(scheduler, optimizer, steps=STEPS):
    """lrs and momenta after construction and after each of `steps` steps."""
    def momenta():
        return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]

    lrs, moms = [list(scheduler.get_last_lr())], [momenta()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(list(scheduler.get_last_lr()))
        moms.append(momenta())
    return lrs, moms


def fastgrad_run(name, kwargs, optimizer_name="SGD", steps=STEPS):
    opt = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))],
                              optimizer_name)
    return record(getattr(lr_scheduler, name)(opt, **kwargs), opt, steps)


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=IDS)
def test_sequence_equals_torch(name, kwargs, optimizer_name):
    torch = pytest.importorskip("torch")
    steps = min(STEPS, kwargs.get("total_steps", STEPS))
    ours = fastgrad_run(name, kwargs, optimizer_name, steps)
    t_params = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    t_opt = two_group_optimizer(torch.optim, t_params, optimizer_name)
    theirs = record(getattr(torch.optim.lr_scheduler, name)(t_opt, **kwargs), t_opt, steps)
    assert ours[0] == theirs[0]  # lrs: exactly equal, not approximately
    assert ours[1] == theirs[1]  # momentum / beta1


def test_construction_records_initial_lr_and_keeps_lr():
    opt = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.03]
    assert sched.get_last_lr() == [0.1, 0.03] and sched.last_epoch == 0


# ---- closed forms (independent of torch) ---------------------------------------------------
def test_step_lr_closed_form():
    lrs, _ = fastgrad_run("StepLR", dict(step_size=7, gamma=0.5))
    for epoch, (lr0, lr1) in enumerate(lrs):
        assert lr0 == pytest.approx(0.1 * 0.5 ** (epoch // 7), rel=1e-12)
        assert lr1 == pytest.approx(0.03 * 0.5 ** (epoch // 7), rel=1e-12)


def test_exponential_lr_closed_form():
    lrs, _ = fastgrad_run("ExponentialLR", dict(gamma=0.9))
    np.testing.assert_allclose([lr[0] for lr in lrs], 0.1 * 0.9 ** np.arange(STEPS + 1),
                               rtol=1e-12)


def test_cosine_annealing_closed_form():
    lrs, _ = fastgrad_run("CosineAnnealingLR", dict(T_max=10, eta_min=0.001))
    epochs = np.arange(STEPS + 1)
    expected = 0.001 + (0.1 - 0.001) * (1 + np.cos(np.pi * epochs / 10)) / 2
    np.testing.assert_allclose([lr[0] for lr in lrs], expected, rtol=1e-9, atol=1e-12)


def test_one_cycle_warms_up_to_max_lr_then_anneals_to_min_lr():
    total = 40
    lrs, moms = fastgrad_run("OneCycleLR", dict(max_lr=0.5, total_steps=total), steps=total - 1)
    first = [lr[0] for lr in lrs]
    peak = round(0.3 * total) - 1
    assert first[0] == pytest.approx(0.5 / 25)
    assert first[peak] == pytest.approx(0.5) and max(first) == first[peak]
    assert first[-1] == pytest.approx(0.5 / 25 / 1e4)
    assert all(a <= b for a, b in zip(first[:peak], first[1:peak + 1]))
    assert all(a >= b for a, b in zip(first[peak:], first[peak + 1:]))
    assert moms[0][0] == pytest.approx(0.95) and moms[peak][0] == pytest.approx(0.85)


# ---- checkpoints -------------------------------------------------------------------------
@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "fastgrad.save/load"])
@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=IDS)
def test_state_dict_round_trip_continues_the_sequence(name, kwargs, through_file, tmp_path):
    params = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    opt = two_group_optimizer(optim, params)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    for _ in range(10):
        opt.step()
        sched.step()
    opt_state, sched_state = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    if through_file:
        fastgrad.save({"optimizer": opt_state, "scheduler": sched_state}, tmp_path / "ckpt")
        loaded = fastgrad.load(tmp_path / "ckpt")
        opt_state, sched_state = loaded["optimizer"], loaded["scheduler"]
    continued = record(sched, opt, steps=20)

    opt2 = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    sched2 = getattr(lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert sched2.last_epoch == 10
    assert record(sched2, opt2, steps=20) == continued


def test_state_dict_excludes_the_optimizer_and_holds_plain_values():
    opt = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    state = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10).state_dict()
    assert "optimizer" not in state
    assert state["base_lrs"] == [0.1 / 25, 0.1 / 25] and state["last_epoch"] == 0


# ---- errors ---------------------------------------------------------------------------------
def test_one_cycle_needs_a_length_and_stops_after_it():
    opt = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    with pytest.raises(ValueError, match="total_steps"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="total number|total steps"):
        sched.step()


def test_one_cycle_max_lr_list_must_match_groups():
    opt = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    with pytest.raises(ValueError, match="max_lr"):
        lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=10)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)


def test_resuming_needs_initial_lr():
    opt = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(opt, gamma=0.9, last_epoch=5)


def test_cosine_half_period_is_eta_min():
    opt = optim.SGD([Parameter(np.ones(2))], lr=1.0)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.25)
    for _ in range(8):
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 0.25, rel_tol=1e-12)


# ---- factors and bounds that would make every lr NaN, or divide by zero ------------------------
NAN = float("nan")
BAD_SCHEDULES = [
    ("StepLR", dict(step_size=2, gamma=NAN), "gamma"),
    ("StepLR", dict(step_size=2, gamma=-0.5), "gamma"),
    ("ExponentialLR", dict(gamma=float("inf")), "gamma"),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=NAN), "eta_min"),
    ("OneCycleLR", dict(max_lr=NAN, total_steps=10), "max_lr"),
    ("OneCycleLR", dict(max_lr=[0.5, NAN], total_steps=10), "max_lr"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=10, max_momentum=NAN), "max_momentum"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=10, div_factor=0), "div_factor"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=10, final_div_factor=NAN), "final_div_factor"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=2, pct_start=0.5), "pct_start"),
]


@pytest.mark.parametrize("name,kwargs,argument", BAD_SCHEDULES,
                         ids=[f"{n}-{a}" for n, _, a in BAD_SCHEDULES])
def test_bad_factor_is_refused_naming_it(name, kwargs, argument):
    optimizer = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(2))])
    before = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                            for g in optimizer.param_groups])
    with pytest.raises(ValueError, match=argument):
        getattr(lr_scheduler, name)(optimizer, **kwargs)
    assert [{k: v for k, v in g.items() if k != "params"}
            for g in optimizer.param_groups] == before  # the groups untouched


def test_factor_that_is_not_a_number_is_a_type_error_naming_it():
    optimizer = optim.SGD([Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(TypeError, match="gamma must be a number"):
        lr_scheduler.ExponentialLR(optimizer, gamma="0.5")
