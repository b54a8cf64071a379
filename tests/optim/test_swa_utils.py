"""optim.swa_utils against torch.optim.swa_utils: SWALR's lr sequence, AveragedModel's averaged
weights (SWA, EMA by avg_fn and multi_avg_fn, buffers averaged or copied) along the same float64
training run, and update_bn's recomputed BatchNorm statistics."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn, optim
from fastgrad.nn import Parameter
from fastgrad.optim import swa_utils

torch = pytest.importorskip("torch")


def two_groups(lib, params):
    return lib.optim.SGD([{"params": [params[0]], "lr": 0.1},
                          {"params": [params[1]], "lr": 0.03}], momentum=0.9)


SWALRS = [
    dict(swa_lr=0.05),
    dict(swa_lr=[0.01, 0.2], anneal_epochs=4, anneal_strategy="linear"),
    dict(swa_lr=0.02, anneal_epochs=0),
    dict(swa_lr=0.5, anneal_epochs=1),
]


@pytest.mark.parametrize("kwargs", SWALRS, ids=[str(k) for k in SWALRS])
def test_swalr_sequence_equals_torch(kwargs):
    out = []
    for lib, params in ((fastgrad, [Parameter(np.ones(2)), Parameter(np.ones(3))]),
                        (torch, [torch.nn.Parameter(torch.ones(2)),
                                 torch.nn.Parameter(torch.ones(3))])):
        opt = two_groups(lib, params)
        before = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        lrs = []
        for _ in range(7):  # a first schedule, then SWA takes over from its lr
            opt.step()
            before.step()
        swa = (swa_utils if lib is fastgrad else torch.optim.swa_utils).SWALR(opt, **kwargs)
        lrs.append(swa.get_last_lr())
        for _ in range(15):
            opt.step()
            swa.step()
            lrs.append(swa.get_last_lr())
        out.append(lrs)
    np.testing.assert_allclose(np.array(out[0]), np.array(out[1]), rtol=1e-12, atol=0)


def test_swalr_state_dict_round_trip(tmp_path):
    def fresh():
        opt = two_groups(fastgrad, [Parameter(np.ones(2)), Parameter(np.ones(3))])
        return opt, swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=6)

    opt, sched = fresh()
    for _ in range(3):
        sched.step()
    fastgrad.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s")
    expected = []
    for _ in range(5):
        sched.step()
        expected.append(sched.get_last_lr())

    opt2, sched2 = fresh()
    saved = fastgrad.load(tmp_path / "s")
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    got = []
    for _ in range(5):
        sched2.step()
        got.append(sched2.get_last_lr())
    assert got == expected


def build(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.BatchNorm1d(6), lib.nn.Tanh(),
                             lib.nn.Linear(6, 2)).double()


def paired_models():
    ours, theirs = build(fastgrad), build(torch)
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    return ours, theirs


AVERAGINGS = {
    "swa": (dict(), dict()),
    "ema-avg_fn": (dict(avg_fn=swa_utils.get_ema_avg_fn(0.8)),
                   dict(avg_fn=torch.optim.swa_utils.get_ema_avg_fn(0.8))),
    "ema-multi": (dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.7), use_buffers=True),
                  dict(multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.7),
                       use_buffers=True)),
    # (not with use_buffers: PyTorch's fails on the integer num_batches_tracked)
    "swa-multi": (dict(multi_avg_fn=swa_utils.get_swa_multi_avg_fn()),
                  dict(multi_avg_fn=torch.optim.swa_utils.get_swa_multi_avg_fn())),
    "swa-avg_fn": (dict(avg_fn=swa_utils.get_swa_avg_fn()),
                   dict(avg_fn=torch.optim.swa_utils.get_swa_avg_fn())),
}


@pytest.mark.parametrize("key", list(AVERAGINGS))
def test_averaged_model_equals_torch_along_training(key):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 2))
    ours, theirs = paired_models()
    our_kw, their_kw = AVERAGINGS[key]
    avg = swa_utils.AveragedModel(ours, **our_kw)
    t_avg = torch.optim.swa_utils.AveragedModel(theirs, **their_kw)
    opt = optim.SGD(ours.parameters(), lr=0.05)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.05)
    for _ in range(6):
        opt.zero_grad()
        nn.functional.mse_loss(ours(fastgrad.tensor(x)), fastgrad.tensor(y)).backward()
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.mse_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        t_opt.step()
        avg.update_parameters(ours)
        t_avg.update_parameters(theirs)
    t_state = t_avg.state_dict()
    state = avg.state_dict()
    assert list(state) == list(t_state)
    for name, value in state.items():
        np.testing.assert_allclose(np.asarray(getattr(value, "_data", value)),
                                   t_state[name].detach().numpy(), rtol=1e-11, atol=1e-13,
                                   err_msg=name)
    # the averaged model runs like the model it wraps, on its own (averaged) weights
    avg.eval()
    t_avg.eval()
    np.testing.assert_allclose(avg(fastgrad.tensor(x)).numpy(),
                               t_avg(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)


def test_update_bn_equals_torch():
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((8, 4)) * 3 + 1 for _ in range(4)]
    ours, theirs = paired_models()
    ours.eval()
    theirs.eval()
    swa_utils.update_bn([(fastgrad.tensor(b), None) for b in batches], ours)
    torch.optim.swa_utils.update_bn([(torch.from_numpy(b), None) for b in batches], theirs)
    assert not ours.training and ours[1].momentum == 0.1
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(np.asarray(getattr(value, "_data", value)),
                                   theirs.state_dict()[name].numpy(), rtol=1e-12, err_msg=name)


def test_bad_arguments():
    ours, _ = paired_models()
    with pytest.raises(ValueError, match="avg_fn"):
        swa_utils.AveragedModel(ours, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="decay"):
        swa_utils.get_ema_avg_fn(1.5)
    opt = optim.SGD(ours.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr"):
        swa_utils.SWALR(opt, swa_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="swa_lr"):
        swa_utils.SWALR(opt, swa_lr=float("nan"))
