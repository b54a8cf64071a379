"""fastgrad.distributions against torch.distributions: log_prob and entropy values and their
gradients in the parameters; samples checked by their frequencies and moments."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad.distributions import Categorical, Normal

torch = pytest.importorskip("torch")


def pair(array):
    """The same float64 leaf in both libraries."""
    return fg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def assert_close(got, want, tol=1e-10):
    np.testing.assert_allclose(np.asarray(got, np.float64), want.detach().numpy(), rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("param", ["logits", "probs"])
@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 5)])
def test_categorical_log_prob_and_entropy_match_torch(param, shape):
    r = np.random.default_rng(0)
    raw = r.standard_normal(shape) if param == "logits" else r.uniform(0.1, 2.0, shape)
    fx, tx = pair(raw)
    fd, td = Categorical(**{param: fx}), torch.distributions.Categorical(**{param: tx})
    assert fd.batch_shape == tuple(td.batch_shape)
    assert_close(fd.probs, td.probs)
    assert_close(fd.logits, td.logits)
    value = r.integers(0, shape[-1], shape[:-1])
    lp_f, lp_t = fd.log_prob(fg.tensor(value)), td.log_prob(torch.from_numpy(value))
    ent_f, ent_t = fd.entropy(), td.entropy()
    assert_close(lp_f, lp_t)
    assert_close(ent_f, ent_t)
    # a REINFORCE-style objective: gradients of log_prob and entropy reach the parameters
    w = r.standard_normal(shape[:-1])
    (lp_f * fg.tensor(w)).sum().__add__(ent_f.sum() * 0.3).backward()
    ((lp_t * torch.from_numpy(w)).sum() + ent_t.sum() * 0.3).backward()
    assert_close(fx.grad, tx.grad)


def test_categorical_log_prob_broadcasts_values_like_torch():
    raw = np.random.default_rng(1).standard_normal((3, 4))
    fx, tx = pair(raw)
    value = np.array([[0], [3]])  # shape (2, 1) against batch_shape (3,) -> (2, 3)
    got = Categorical(logits=fx).log_prob(fg.tensor(value))
    want = torch.distributions.Categorical(logits=tx).log_prob(torch.from_numpy(value))
    assert tuple(got.shape) == tuple(want.shape) == (2, 3)
    assert_close(got, want)
    got.sum().backward()
    want.sum().backward()
    assert_close(fx.grad, tx.grad)


def test_categorical_zero_probability_has_finite_entropy_like_torch():
    fx, tx = pair(np.array([0.5, 0.0, 0.5]))
    got, want = Categorical(probs=fx).entropy(), torch.distributions.Categorical(probs=tx).entropy()
    assert_close(got, want)
    got.backward()
    want.backward()
    assert_close(fx.grad, tx.grad, tol=1e-6)


def test_categorical_samples_follow_the_probabilities():
    fg.manual_seed(0)
    probs = np.array([0.1, 0.6, 0.3])
    draws = Categorical(probs=fg.tensor(probs)).sample((20000,))
    assert draws.dtype == np.int64 and tuple(draws.shape) == (20000,)
    freq = np.bincount(np.asarray(draws), minlength=3) / 20000
    np.testing.assert_allclose(freq, probs, atol=0.015)  # ~4.5 standard errors
    batch = Categorical(logits=fg.tensor(np.log([[1.0, 0.0 + 1e-300], [1e-300, 1.0]])))
    np.testing.assert_array_equal(np.asarray(batch.sample((5,))), [[0, 1]] * 5)
    fg.manual_seed(3)
    first = np.asarray(Categorical(probs=fg.tensor(probs)).sample((10,))).copy()
    fg.manual_seed(3)
    np.testing.assert_array_equal(np.asarray(Categorical(probs=fg.tensor(probs)).sample((10,))),
                                  first)


def test_categorical_rejects_bad_arguments():
    with pytest.raises(ValueError, match="either probs or logits"):
        Categorical()
    with pytest.raises(ValueError, match="either probs or logits"):
        Categorical(probs=fg.ones(2), logits=fg.ones(2))
    with pytest.raises(ValueError, match="non-negative"):
        Categorical(probs=fg.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        Categorical(logits=fg.zeros(3)).log_prob(fg.tensor([3]))


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((), ()), ((4, 1), (1, 2))])
def test_normal_log_prob_entropy_and_gradients_match_torch(shapes):
    r = np.random.default_rng(2)
    loc, scale = r.standard_normal(shapes[0]), r.uniform(0.5, 2.0, shapes[1])
    fl, tl = pair(loc)
    fs, ts = pair(scale)
    fd, td = Normal(fl, fs), torch.distributions.Normal(tl, ts)
    assert fd.batch_shape == tuple(td.batch_shape)
    value = r.standard_normal(fd.batch_shape)
    lp_f, lp_t = fd.log_prob(fg.tensor(value)), td.log_prob(torch.from_numpy(value))
    ent_f, ent_t = fd.entropy(), td.entropy()
    assert_close(lp_f, lp_t)
    assert_close(ent_f, ent_t)
    assert tuple(ent_f.shape) == tuple(ent_t.shape)
    (lp_f.sum() + ent_f.sum() * 2.0).backward()
    (lp_t.sum() + ent_t.sum() * 2.0).backward()
    assert_close(fl.grad, tl.grad)
    assert_close(fs.grad, ts.grad)
    assert_close(fd.variance, td.variance)
    assert_close(fd.cdf(fg.tensor(value)), td.cdf(torch.from_numpy(value)))


def test_normal_rsample_is_differentiable_and_sample_is_not():
    fg.manual_seed(0)
    loc, scale = fg.tensor(np.array([1.0, -2.0]), requires_grad=True), fg.tensor(
        np.array([0.5, 3.0]), requires_grad=True)
    d = Normal(loc, scale)
    x = d.rsample((1000,))
    assert tuple(x.shape) == (1000, 2)
    x.sum().backward()
    eps = (np.asarray(x) - np.array([1.0, -2.0])) / np.array([0.5, 3.0])
    np.testing.assert_allclose(np.asarray(loc.grad), [1000.0, 1000.0])  # d(loc + eps s)/dloc
    np.testing.assert_allclose(np.asarray(scale.grad), eps.sum(0), rtol=1e-10)  # = eps
    s = d.sample((20000,))
    assert not s.requires_grad
    np.testing.assert_allclose(np.asarray(s).mean(0), [1.0, -2.0], atol=0.1)
    np.testing.assert_allclose(np.asarray(s).std(0), [0.5, 3.0], rtol=0.05)


def test_normal_takes_numbers_and_rejects_a_bad_scale():
    d = Normal(0.0, 1.0)
    want = torch.distributions.Normal(0.0, 1.0).log_prob(torch.tensor(0.3))
    np.testing.assert_allclose(float(d.log_prob(0.3).sum()), float(want), rtol=1e-6)
    with pytest.raises(ValueError, match="scale"):
        Normal(0.0, -1.0)
    with pytest.raises(TypeError, match="loc"):
        Normal("a", 1.0)


def test_categorical_masked_logit_gives_torchs_entropy_and_gradient():
    """A class masked with logit -inf (an invalid action) has probability 0: entropy and
    log_prob stay finite, as in PyTorch."""
    fx, tx = pair(np.array([1.0, -np.inf, 0.5]))
    fd, td = Categorical(logits=fx), torch.distributions.Categorical(logits=tx)
    got = fd.entropy() + fd.log_prob(fg.tensor(2))
    want = td.entropy() + td.log_prob(torch.tensor(2))
    assert_close(got, want)
    got.backward()
    want.backward()
    assert_close(fx.grad, tx.grad)
