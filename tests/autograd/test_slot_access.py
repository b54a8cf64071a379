"""The engine reads a Tensor's or a Parameter's fields at their slot offsets and any other
type's through attribute lookup: both give PyTorch's gradients, and a subclass that turns a
field into a property is still asked through it."""
import numpy as np
import pytest

import fastgrad as fg
from fastgrad import nn
from fastgrad.nn import functional as F

torch = pytest.importorskip("torch")


class MyParameter(nn.Parameter):
    """A user's Parameter subclass: not one of the types the engine reads directly."""

    __slots__ = ()


class CountingTensor(fg.Tensor):
    """A Tensor whose requires_grad is a property, counting how often it is read."""

    __slots__ = ("reads",)

    @property
    def requires_grad(self):
        self.reads += 1
        return fg.Tensor.requires_grad.__get__(self)

    @requires_grad.setter
    def requires_grad(self, value):
        fg.Tensor.requires_grad.__set__(self, value)


def _torch_grads(x, w, b):
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    loss = (torch.relu(torch.from_numpy(x) @ tw.T + tb) ** 2).mean()
    loss.backward()
    return tw.grad.numpy(), tb.grad.numpy()


@pytest.mark.parametrize("kind", [nn.Parameter, MyParameter])
def test_linear_grads_match_torch_for_parameter_types(kind):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    fw, fb = kind(w.copy()), kind(b.copy())
    for _ in range(2):  # the second backward accumulates into the .grad the first made
        (F.relu(F.linear(fg.tensor(x), fw, fb)) ** 2).mean().backward()
    want_w, want_b = _torch_grads(x, w, b)
    np.testing.assert_allclose(fw.grad.numpy(), 2 * want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fb.grad.numpy(), 2 * want_b, rtol=1e-5, atol=1e-6)
    fw.grad = None
    assert fw._grad is None


def test_subclass_property_is_read_through_its_getter():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    fw = CountingTensor(w.copy(), requires_grad=True)
    fw.reads = 0
    fb = fg.tensor(b.copy(), requires_grad=True)
    (F.relu(F.linear(fg.tensor(x), fw, fb)) ** 2).mean().backward()
    assert fw.reads > 0
    want_w, want_b = _torch_grads(x, w, b)
    np.testing.assert_allclose(fw.grad.numpy(), want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fb.grad.numpy(), want_b, rtol=1e-5, atol=1e-6)


def test_zero_grad_keeps_arrays_or_drops_them_as_torch():
    model = nn.Linear(4, 3)
    tmodel = torch.nn.Linear(4, 3)
    opt, topt = fg.optim.SGD(model.parameters(), lr=0.1), torch.optim.SGD(tmodel.parameters(), lr=0.1)
    x = np.ones((2, 4), np.float32)
    model(fg.tensor(x)).sum().backward()
    tmodel(torch.from_numpy(x)).sum().backward()
    held = model.weight.grad
    opt.zero_grad(set_to_none=False)
    topt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(held.numpy(), tmodel.weight.grad.numpy())  # zeros in place
    opt.zero_grad()
    topt.zero_grad()
    assert model.weight.grad is None and tmodel.weight.grad is None


def test_a_type_that_overrides_or_adds_slots_is_refused_for_direct_reads():
    from fastgrad import _engine

    class Overrides(fg.Tensor):
        __slots__ = ()

        @property
        def grad_fn(self):
            return None

    class Adds(fg.Tensor):
        __slots__ = ("extra",)

    for cls in (Overrides, Adds):
        with pytest.raises(TypeError, match="cannot be read at Tensor's offsets"):
            _engine.register_parameter_type(cls)
    _engine.register_parameter_type(fg.nn.Parameter)  # the one registered type stays accepted
