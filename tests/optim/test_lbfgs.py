"""LBFGS against torch.optim.LBFGS: the same small regression, each library computing its own
float64 gradients, must follow the same parameters, losses and evaluation counts, with the
fixed step and with the strong-Wolfe line search; plus the closure API and checkpoints."""
import copy

import numpy as np
import pytest

import fastgrad
from fastgrad import nn, optim

torch = pytest.importorskip("torch")


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, 4))
    y = np.tanh(x @ rng.standard_normal((4, 2))) + 0.1 * rng.standard_normal((32, 2))
    return x, y


def models(seed=0):
    ours = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(),
                                 torch.nn.Linear(6, 2)).double()
    rng = np.random.default_rng(seed + 1)
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            value = rng.standard_normal(tuple(p.shape)) * 0.5
            p.numpy()[...] = value
            q.copy_(torch.from_numpy(value))
    return ours, theirs


def closures(ours, theirs, opt, t_opt, x, y):
    xf, yf, xt, yt = fastgrad.tensor(x), fastgrad.tensor(y), torch.from_numpy(x), \
        torch.from_numpy(y)

    def closure():
        opt.zero_grad()
        loss = nn.functional.mse_loss(ours(xf), yf)
        loss.backward()
        return loss

    def t_closure():
        t_opt.zero_grad()
        loss = torch.nn.functional.mse_loss(theirs(xt), yt)
        loss.backward()
        return loss
    return closure, t_closure


SETTINGS = [
    dict(),
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=7, history_size=4, lr=0.8),
    dict(line_search_fn="strong_wolfe", max_iter=30, max_eval=12),
]


@pytest.mark.parametrize("kwargs", SETTINGS, ids=[str(k) for k in SETTINGS])
def test_trajectory_matches_torch(kwargs):
    x, y = data()
    ours, theirs = models()
    opt = optim.LBFGS(ours.parameters(), **kwargs)
    t_opt = torch.optim.LBFGS(theirs.parameters(), **kwargs)
    closure, t_closure = closures(ours, theirs, opt, t_opt, x, y)
    for step in range(4):
        loss = float(opt.step(closure))
        t_loss = t_opt.step(t_closure).item()
        assert loss == pytest.approx(t_loss, rel=1e-9), step
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-7, atol=1e-9,
                                       err_msg=f"step {step}")
        state = opt.state[next(iter(ours.parameters()))]
        t_state = t_opt.state[next(iter(theirs.parameters()))]
        assert (state["func_evals"], state["n_iter"]) == (t_state["func_evals"],
                                                          t_state["n_iter"])
    assert float(closure()) < float(opt.step(closure)) * 1.0001  # the loss went down overall


def test_minimises_a_quadratic_to_its_solution():
    """Independent of torch: LBFGS solves a least-squares problem (NumPy's lstsq)."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((20, 5)), rng.standard_normal(20)
    w = nn.Parameter(np.zeros(5))
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=1e-14, max_iter=100)

    def closure():
        opt.zero_grad()
        loss = ((fastgrad.tensor(a) @ w - fastgrad.tensor(b)) ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_allclose(w.numpy(), np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-8)


@pytest.mark.parametrize("through_file", [False, True])
def test_state_dict_round_trip_continues_identically(through_file, tmp_path):
    x, y = data()
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=3, history_size=5)
    ours, theirs = models()
    opt = optim.LBFGS(ours.parameters(), **kwargs)
    t_opt = torch.optim.LBFGS(theirs.parameters(), **kwargs)
    closure, _ = closures(ours, theirs, opt, t_opt, x, y)
    opt.step(closure)
    saved = copy.deepcopy(opt.state_dict())
    weights = [p.numpy().copy() for p in ours.parameters()]
    if through_file:
        fastgrad.save(saved, tmp_path / "opt")
        saved = fastgrad.load(tmp_path / "opt")
    opt.step(closure)
    expected = [p.numpy().copy() for p in ours.parameters()]

    ours2, theirs2 = models()
    for p, w in zip(ours2.parameters(), weights):
        p.numpy()[...] = w
    opt2 = optim.LBFGS(ours2.parameters(), **kwargs)
    opt2.load_state_dict(saved)
    closure2, _ = closures(ours2, theirs2, opt2, t_opt, x, y)
    opt2.step(closure2)
    for p, e in zip(ours2.parameters(), expected):
        np.testing.assert_allclose(p.numpy(), e, rtol=1e-12, atol=1e-14)


def test_arguments_are_checked():
    p = [nn.Parameter(np.ones(3))]
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS(p, line_search_fn="backtracking")
    with pytest.raises(ValueError, match="history_size"):
        optim.LBFGS(p, history_size=0)
    with pytest.raises(ValueError, match="learning rate"):
        optim.LBFGS(p, lr=-1)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": p}, {"params": [nn.Parameter(np.ones(2))]}])
    with pytest.raises(TypeError, match="closure"):
        optim.LBFGS(p).step(None)
    with pytest.raises(TypeError, match="dtype"):
        optim.LBFGS(p + [nn.Parameter(np.ones(2, np.float32))])


def test_returns_at_once_when_the_gradient_is_already_zero():
    w = nn.Parameter(np.zeros(3))
    opt = optim.LBFGS([w])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    opt.step(closure)
    assert len(calls) == 1 and np.all(w.numpy() == 0)
