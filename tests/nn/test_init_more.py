"""nn.init.eye_, trunc_normal_ and orthogonal_: the properties PyTorch's define (identity,
bounds and moments of the truncated normal against scipy's, orthogonality and the gain),
seeding, arguments as PyTorch names them, and bad arguments. Draws need not equal torch's."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad.nn import init


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (6, 4)])
def test_eye_matches_torch(shape):
    torch = pytest.importorskip("torch")
    w = fg.full(shape, 7.0)
    assert init.eye_(w) is w
    np.testing.assert_array_equal(w.numpy(), torch.nn.init.eye_(torch.empty(shape)).numpy())


def test_eye_needs_2d():
    with pytest.raises(ValueError, match="2-dimensional"):
        init.eye_(fg.zeros((2, 2, 2)))


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, -1.0, 2.0),
                                          (0.0, 0.02, -0.04, 0.04), (0.0, 1.0, 3.0, 5.0),
                                          (0.0, 1.0, 0.0, 10.0)])
def test_trunc_normal_bounds_and_distribution(mean, std, a, b):
    stats = pytest.importorskip("scipy.stats")
    fg.manual_seed(0)
    w = fg.empty(200, 100, dtype=fg.float64)
    assert init.trunc_normal_(w, mean=mean, std=std, a=a, b=b) is w
    v = w.numpy().ravel()
    assert v.min() >= a and v.max() <= b
    ref = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    ref_mean, ref_var = ref.stats("mv")
    se = np.sqrt(ref_var / v.size)
    assert abs(v.mean() - ref_mean) < 5 * se
    assert abs(v.var() / ref_var - 1) < 0.05
    assert stats.kstest(v, ref.cdf).pvalue > 1e-4


def test_trunc_normal_is_seeded_and_takes_a_generator():
    fg.manual_seed(5)
    first = init.trunc_normal_(fg.empty(50)).numpy().copy()
    fg.manual_seed(5)
    np.testing.assert_array_equal(init.trunc_normal_(fg.empty(50)).data, first)
    g1, g2 = fg.Generator().manual_seed(9), fg.Generator().manual_seed(9)
    np.testing.assert_array_equal(init.trunc_normal_(fg.empty(20), generator=g1).data,
                                  init.trunc_normal_(fg.empty(20), generator=g2).numpy())


def test_trunc_normal_bad_arguments():
    with pytest.raises(ValueError, match="std"):
        init.trunc_normal_(fg.empty(3), std=0.0)
    with pytest.raises(ValueError, match="a .* must be smaller than b"):
        init.trunc_normal_(fg.empty(3), a=1.0, b=-1.0)
    with pytest.raises(TypeError, match="mean"):
        init.trunc_normal_(fg.empty(3), mean="0")


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (9, 2), (4, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    fg.manual_seed(1)
    w = fg.empty(*shape, dtype=fg.float64)
    assert init.orthogonal_(w, gain=gain) is w
    q = w.numpy().reshape(shape[0], -1) / gain
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_is_haar_distributed():
    # For a Haar-random orthogonal matrix each entry has mean 0 and variance 1/n; a fixed
    # sign convention (no sign(diag R) correction) would bias the diagonal positive.
    fg.manual_seed(2)
    n, draws = 4, 2000
    diag = np.array([np.diag(init.orthogonal_(fg.empty(n, n, dtype=fg.float64)).numpy())
                     for _ in range(draws)])
    se = np.sqrt(1 / n / draws)
    assert np.all(np.abs(diag.mean(axis=0)) < 5 * se)
    np.testing.assert_allclose(diag.var(axis=0), 1 / n, rtol=0.15)


def test_orthogonal_float32_and_bad_shape():
    w = fg.empty(5, 5)
    init.orthogonal_(w)
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.numpy() @ w.numpy().T, np.eye(5), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(fg.empty(4))


def test_argument_names_match_torch():
    torch = pytest.importorskip("torch")
    import inspect
    for name in ["eye_", "trunc_normal_", "orthogonal_"]:
        ours = list(inspect.signature(getattr(init, name)).parameters)
        theirs = list(inspect.signature(getattr(torch.nn.init, name)).parameters)
        assert ours == theirs, name


@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0, 0)])
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_of_a_zero_element_tensor_is_a_warned_no_op_as_torch(shape, name):
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="zero-element") as ours:
        out = getattr(fg.nn.init, name)(fg.empty(*shape))
    with pytest.warns(UserWarning, match="zero-element") as theirs:
        getattr(torch.nn.init, name)(torch.empty(*shape))
    assert out.shape == shape and str(ours[0].message) == str(theirs[0].message)


def test_a_linear_layer_without_inputs_is_valid_as_in_torch():
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="zero-element"):
        layer = fg.nn.Linear(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        ref = torch.nn.Linear(0, 3)
    np.testing.assert_array_equal(layer.bias.detach().numpy(), ref.bias.detach().numpy())
    x = fg.empty(4, 0)
    np.testing.assert_array_equal(layer(x).detach().numpy(),
                                  ref(torch.empty(4, 0)).detach().numpy())
