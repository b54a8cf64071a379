"""The rest of PyTorch's lr schedulers (LambdaLR ... PolynomialLR, the composites, plateau and
cyclic ones): each is stepped beside torch.optim.lr_scheduler's with identical settings on two
parameter groups with different lrs, and the recorded lrs (and momenta) must be equal exactly.
"""
import copy
import math

import numpy as np
import pytest

import fastgrad
from fastgrad import optim
from fastgrad.nn import Parameter
from fastgrad.optim import lr_scheduler

torch = pytest.importorskip("torch")
STEPS = 60


class Halving:
    """A callable object: its attribute is saved in state_dict, as in PyTorch."""

    def __init__(self):
        self.rate = 0.5

    def __call__(self, epoch):
        return self.rate ** (epoch // 10)


# Each builder takes the lr_scheduler module and the optimizer and returns the scheduler.
BUILDERS = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, Halving()]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=7),
    "ConstantLR-default": lambda m, o: m.ConstantLR(o),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=13),
    "LinearLR-default": lambda m, o: m.LinearLR(o),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.0),
    "PolynomialLR-default": lambda m, o: m.PolynomialLR(o),
    "CyclicLR-triangular": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=7),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, [0.01, 0.001], [0.2, 0.05],
                                                    step_size_up=5, step_size_down=9,
                                                    mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range",
                                                  gamma=0.97, base_momentum=0.7,
                                                  max_momentum=0.95),
    "CyclicLR-no-momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                    cycle_momentum=False),
    "CyclicLR-scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=6,
                                                 scale_fn=lambda x: 1 / (1 + x),
                                                 scale_mode="iterations"),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "CosineAnnealingWarmRestarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.ExponentialLR(o, gamma=0.9),
            m.CosineAnnealingLR(o, T_max=10)], milestones=[5, 20]),
    "SequentialLR-constant-step": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=4), m.StepLR(o, step_size=6, gamma=0.5)],
        milestones=[8]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler-nested": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.5, total_iters=10), m.MultiStepLR(o, [15, 40], 0.5),
         m.CosineAnnealingWarmRestarts(o, T_0=9)], optimizer=o),
}


def two_group_optimizer(module, params, name="SGD"):
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.03}]
    if name == "Adam":
        return module.Adam(groups)
    return module.SGD(groups, momentum=0.9)


def momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def record(scheduler, optimizer, steps=STEPS, metrics=None):
    """lrs and momenta after construction and after each step."""
    lrs, moms = [list(scheduler.get_last_lr())], [momenta(optimizer)]
    for i in range(steps):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i])
        lrs.append(list(scheduler.get_last_lr()))
        moms.append(momenta(optimizer))
    return lrs, moms


def run(module, build, optimizer_name="SGD", steps=STEPS, metrics=None):
    if module is torch.optim:
        params = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    else:
        params = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    opt = two_group_optimizer(module, params, optimizer_name)
    return record(build(module.lr_scheduler, opt), opt, steps, metrics)


def assert_same(ours, theirs):
    np.testing.assert_allclose(np.array(ours[0]), np.array(theirs[0]), rtol=1e-12, atol=0)
    np.testing.assert_allclose(np.array(ours[1]), np.array(theirs[1]), rtol=1e-12, atol=0)


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize("key", list(BUILDERS))
def test_sequence_equals_torch(key, optimizer_name):
    ours = run(optim, BUILDERS[key], optimizer_name)
    theirs = run(torch.optim, BUILDERS[key], optimizer_name)
    assert_same(ours, theirs)


# A loss that falls, stalls, wobbles within the threshold, falls again, then rises.
METRICS = ([1.0 / (1 + i) for i in range(10)] + [0.09] * 12 + [0.09 * (1 - 1e-5)] * 5
           + [0.05 - 0.001 * i for i in range(10)] + [0.1 + 0.01 * i for i in range(23)])
PLATEAUS = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=1, cooldown=3, factor=0.3, min_lr=0.004),
    dict(mode="max", patience=3, threshold=0.01, threshold_mode="abs", min_lr=[0.01, 0.0]),
    dict(mode="min", patience=0, threshold=0.1, threshold_mode="rel", eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAUS, ids=[str(k) for k in PLATEAUS])
def test_reduce_on_plateau_equals_torch_on_the_same_metrics(kwargs):
    def build(m, o):
        return m.ReduceLROnPlateau(o, **kwargs)
    metrics_fg = [fastgrad.tensor(v) if i % 2 else v for i, v in enumerate(METRICS)]
    ours = run(optim, build, metrics=metrics_fg)
    theirs = run(torch.optim, build, metrics=METRICS)
    assert_same(ours, theirs)
    assert ours[0][-1] != ours[0][0]  # the schedule did cut the lr


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_fractional_epochs_equal_torch(T_mult):
    epochs = [e + b / 4 for e in range(25) for b in range(4)] + [3.3, 0.0, 17.9, 100.25]
    out = []
    for module, params in ((optim, [Parameter(np.ones(2)), Parameter(np.ones(3))]),
                           (torch.optim, [torch.nn.Parameter(torch.ones(2)),
                                          torch.nn.Parameter(torch.ones(3))])):
        opt = two_group_optimizer(module, params)
        sched = module.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=T_mult,
                                                                eta_min=0.002)
        lrs = []
        for epoch in epochs:
            sched.step(epoch)
            lrs.append(list(sched.get_last_lr()) + [sched.T_cur, sched.T_i, sched.last_epoch])
        out.append(lrs)
    np.testing.assert_allclose(np.array(out[0]), np.array(out[1]), rtol=1e-12, atol=1e-15)


CLOSED_FORM = ["MultiStepLR", "ConstantLR", "LinearLR", "PolynomialLR"]


@pytest.mark.parametrize("key", CLOSED_FORM)
def test_step_with_epoch_uses_torchs_closed_form(key):
    out = []
    for module, params in ((optim, [Parameter(np.ones(2)), Parameter(np.ones(3))]),
                           (torch.optim, [torch.nn.Parameter(torch.ones(2)),
                                          torch.nn.Parameter(torch.ones(3))])):
        opt = two_group_optimizer(module, params)
        sched = BUILDERS[key](module.lr_scheduler, opt)
        lrs = []
        with pytest.warns(UserWarning) if module is torch.optim else _nothing():
            for epoch in [3, 0, 17, 6, 50, 12]:
                sched.step(epoch)
                lrs.append(list(sched.get_last_lr()))
        out.append(lrs)
    np.testing.assert_allclose(np.array(out[0]), np.array(out[1]), rtol=1e-12, atol=0)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---- checkpoints ----------------------------------------------------------------------------
@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "fastgrad.save/load"])
@pytest.mark.parametrize("key", ["LambdaLR-per-group", "MultiStepLR", "LinearLR",
                                 "CyclicLR-exp_range", "CosineAnnealingWarmRestarts-mult",
                                 "SequentialLR", "ChainedScheduler-nested", "Plateau"])
def test_state_dict_round_trip_continues_the_sequence(key, through_file, tmp_path):
    def build(m, o):
        if key == "Plateau":
            return m.ReduceLROnPlateau(o, patience=1, cooldown=1, factor=0.5)
        return BUILDERS[key](m, o)
    metrics = METRICS if key == "Plateau" else [None] * STEPS

    def advance(sched, opt, metric_slice, steps):
        return record(sched, opt, steps, metric_slice if key == "Plateau" else None)

    opt = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    sched = build(lr_scheduler, opt)
    advance(sched, opt, metrics[:15], 15)
    opt_state, sched_state = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    if key == "LambdaLR-per-group":
        assert sched_state["lr_lambdas"] == [None, {"rate": 0.5}]
    if through_file:
        fastgrad.save({"optimizer": opt_state, "scheduler": sched_state}, tmp_path / "ckpt")
        loaded = fastgrad.load(tmp_path / "ckpt")
        opt_state, sched_state = loaded["optimizer"], loaded["scheduler"]
    continued = advance(sched, opt, metrics[15:], 30)

    opt2 = two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])
    sched2 = build(lr_scheduler, opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert advance(sched2, opt2, metrics[15:], 30) == continued


# ---- bad arguments ---------------------------------------------------------------------------
def _opt():
    return two_group_optimizer(optim, [Parameter(np.ones(2)), Parameter(np.ones(3))])


@pytest.mark.parametrize("make,argument", [
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), "lr_lambdas"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.9), "lr_lambda"),
    (lambda o: lr_scheduler.MultiStepLR(o, [3, 5], gamma=-1.0), "gamma"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), "factor"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=2.0), "end_factor"),
    (lambda o: lr_scheduler.PolynomialLR(o, total_iters=0), "total_iters"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), "factor"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), "mode"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), "threshold_mode"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), "patience"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), "min_lr"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), "mode"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, [0.1, 0.1, 0.1]), "max_lr"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=0), "step_size_up"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), "T_0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=0), "T_mult"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, eta_min=float("nan")),
     "eta_min"),
    (lambda o: lr_scheduler.CyclicLR(o, float("nan"), 0.1), "base_lr"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=float("nan")), "min_lr"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=float("nan")), "start_factor"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 3)], [4]), "milestone"),
    (lambda o: lr_scheduler.SequentialLR(o, [], []), "schedulers"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(o, 3),
                                              lr_scheduler.StepLR(_opt(), 3)]), "optimizer"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(o)]),
     "ReduceLROnPlateau"),
])
def test_bad_arguments_are_refused_naming_them(make, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        make(_opt())


def test_cyclic_momentum_needs_an_optimizer_with_momentum():
    opt = optim.Adagrad([Parameter(np.ones(2))])
    with pytest.raises(ValueError, match="momentum"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1)
    lr_scheduler.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)


def test_warm_restarts_refuses_a_negative_epoch():
    sched = lr_scheduler.CosineAnnealingWarmRestarts(_opt(), T_0=3)
    with pytest.raises(ValueError, match="epoch"):
        sched.step(-1)


def test_warm_restarts_closed_form_at_integer_epochs():
    """Independent of torch: lr = eta_min + (base - eta_min)(1 + cos(pi T_cur / T_i)) / 2."""
    sched = lr_scheduler.CosineAnnealingWarmRestarts(_opt(), T_0=2, T_mult=2, eta_min=0.01)
    starts = [0, 2, 6, 14, 30]  # periods 2, 4, 8, 16
    for epoch in range(1, 30):
        sched.step()
        start = max(s for s in starts if s <= epoch)
        period = 2 * 2 ** starts.index(start)
        expected = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * (epoch - start) / period)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)


def test_a_custom_scheduler_on_the_old_base_class_name_runs_like_torchs():
    def make(module):
        class Halve(module.lr_scheduler._LRScheduler):
            def get_lr(self):
                return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
        return Halve
    ours = run(optim, lambda m, o: make(optim)(o), steps=5)
    theirs = run(torch.optim, lambda m, o: make(torch.optim)(o), steps=5)
    assert_same(ours, theirs)
