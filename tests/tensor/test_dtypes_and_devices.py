"""dtype aliases, casts and the CPU device API against PyTorch 2.13's (r05, r11)."""
import numpy as np
import pytest

import fastgrad as fg
from conftest import torch_or_skip

torch = torch_or_skip()

ALIASES = ["float", "float32", "double", "float64", "long", "int64", "int", "int32", "bool"]


@pytest.mark.parametrize("name", ALIASES)
def test_alias_names_the_dtype_torch_names(name):
    expected = torch.zeros(2, dtype=getattr(torch, name)).numpy().dtype
    t = fg.zeros(2, dtype=getattr(fg, name))
    assert t.dtype == expected
    assert t.dtype == getattr(fg, name)  # t.dtype compares equal to the alias, as in torch


@pytest.mark.parametrize("make, name", [
    (make, name) for make in ["ones", "empty", "tensor", "arange", "full", "eye"]
    for name in ALIASES
    if (make, name) != ("arange", "bool")])  # torch.arange has no bool kernel
def test_alias_works_as_dtype_everywhere(name, make):
    calls = {"ones": lambda L, d: L.ones(2, 3, dtype=d),
             "empty": lambda L, d: L.empty(2, dtype=d).zero_(),  # its values are unspecified
             "tensor": lambda L, d: L.tensor([0, 1], dtype=d),
             "arange": lambda L, d: L.arange(4, dtype=d),
             "full": lambda L, d: L.full((2,), 1, dtype=d),
             "eye": lambda L, d: L.eye(3, dtype=d)}
    f = calls[make](fg, getattr(fg, name))
    t = calls[make](torch, getattr(torch, name))
    assert f.dtype == t.numpy().dtype
    np.testing.assert_array_equal(f.numpy(), t.numpy())


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool"])
def test_cast_methods_match_torch(method):
    a = np.array([[-1.7, 0.0, 2.5], [3.2, -0.4, 1.0]], dtype=np.float32)
    f, t = getattr(fg.tensor(a), method)(), getattr(torch.tensor(a), method)()
    assert f.dtype == t.numpy().dtype
    np.testing.assert_array_equal(f.numpy(), t.numpy())


def test_type_string_and_type_cast_match_torch():
    a = np.arange(3, dtype=np.float32)
    for dtype in ["float32", "float64", "int64", "int32", "bool"]:
        f, t = fg.tensor(a, dtype=getattr(fg, dtype)), torch.tensor(a, dtype=getattr(torch, dtype))
        assert f.type() == t.type()
    assert fg.tensor(a).type(fg.float64).dtype == torch.tensor(a).type(torch.float64).numpy().dtype
    expected = torch.tensor(a).type("torch.LongTensor").numpy().dtype
    assert fg.tensor(a).type("torch.LongTensor").dtype == expected


def test_to_dtype_keeps_the_graph_and_returns_self_when_nothing_changes():
    x = fg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    assert x.to(fg.float32) is x and x.to("cpu") is x and x.cpu() is x
    assert x.to(x) is x
    y = x.to("cpu", fg.float64)
    assert y.dtype == fg.float64
    (y * y).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), [2.0, 4.0])
    z = x.to(device="cpu", dtype=fg.float64)
    assert z.dtype == fg.float64
    c = x.to(fg.float32, copy=True)
    assert c is not x and not np.shares_memory(c.numpy(), x.numpy())


@pytest.mark.parametrize("bad", ["float16", fg.float16, fg.half, np.complex64, object, "nonsense",
                                 3.5])
def test_unsupported_dtype_is_refused_naming_the_argument(bad):
    with pytest.raises(TypeError, match="dtype"):
        fg.zeros(2, dtype=bad)
    with pytest.raises(TypeError, match="dtype"):
        fg.ones(2).to(bad)


# ---- devices ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [("cpu",), ("cpu:0",), ("cuda",), ("cuda:1",), ("cuda", 0),
                                  ("mps",)])
def test_device_objects_print_and_compare_as_torch(spec):
    f, t = fg.device(*spec), torch.device(*spec)
    assert repr(f) == repr(t) and str(f) == str(t)
    assert (f.type, f.index) == (t.type, t.index)
    assert f == fg.device(str(t)) and f == str(t)
    assert hash(f) == hash(fg.device(str(t)))


def test_device_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown device type 'gpu'"):
        fg.device("gpu")
    with pytest.raises(TypeError, match="device"):
        fg.device(2.0)


def test_accelerator_queries_say_cpu_only():
    assert fg.cuda.is_available() is False and fg.cuda.device_count() == 0
    assert fg.backends.mps.is_available() is False
    assert fg.accelerator.is_available() is False
    assert fg.accelerator.current_accelerator() is None
    # the tutorials' device choice lands on the CPU
    device = (fg.accelerator.current_accelerator().type if fg.accelerator.is_available()
              else "cpu")
    assert fg.zeros(2, device=device).device == fg.device("cpu")
    device = fg.device("cuda" if fg.cuda.is_available() else "cpu")
    assert fg.tensor([1.0], device=device).device.type == "cpu"


@pytest.mark.parametrize("call", [
    lambda: fg.zeros(2, device="cuda"), lambda: fg.randn(2, device="cuda:0"),
    lambda: fg.tensor([1.0], device="cuda"), lambda: fg.ones(2).to("cuda"),
    lambda: fg.ones(2).to(fg.device("cuda"), fg.float64), lambda: fg.ones(2).cuda(),
    lambda: fg.nn.Linear(2, 3, device="cuda"), lambda: fg.nn.Linear(2, 3).to("cuda"),
    lambda: fg.arange(3, device="mps"), lambda: fg.set_default_device("cuda"),
    lambda: fg.ones(2).to(0)])
def test_another_device_raises_saying_fastgrad_runs_on_the_cpu(call):
    with pytest.raises(RuntimeError, match="fastgrad runs on the CPU"):
        call()


def test_r05_device_idioms_run_as_in_torch():
    """/work/shared/repro/parity/r05_device_to.py: every expression PyTorch accepts runs."""
    for lib in (torch, fg):
        lin = lib.nn.Linear(2, 3).to("cpu")
        assert isinstance(lin, lib.nn.Linear)
        assert lib.ones(3).to("cpu").shape == (3,)
        assert str(lib.device("cpu")) == "cpu"
        assert lib.cuda.is_available() is False
        assert lib.randn(3, device="cpu").shape == (3,)
        assert lib.nn.Linear(2, 3, device="cpu").weight.shape == (3, 2)
        assert lib.ones(3).cpu().shape == (3,)
        assert lib.ones(3).device == lib.device("cpu")
    m = fg.nn.Linear(2, 3).to("cpu", fg.float64)
    assert m.weight.dtype == fg.float64
    assert fg.nn.Linear(2, 3).to(fg.device("cpu")).weight.dtype == fg.float32


def test_r11_names_tutorials_use_exist_as_in_torch():
    """/work/shared/repro/parity/r11_missing_names.py (the names of this part)."""
    names = ["float", "long", "double", "device", "cuda", "accelerator", "set_default_device",
             "linspace", "eye", "empty", "sin", "exp", "sigmoid", "round", "matmul", "cat",
             "stack", "sum", "argmax", "eq", "unique", "softmax", "randn_like", "randint",
             "inference_mode", "zeros_like", "full_like", "rand_like", "randperm", "cos", "log",
             "sqrt", "tanh", "relu", "log_softmax", "mean", "max", "min", "where", "clamp", "abs",
             "pow", "from_numpy", "as_tensor", "is_tensor", "set_grad_enabled", "arange", "int32",
             "int64", "float32", "float64", "bool"]
    assert [n for n in names if hasattr(torch, n) and not hasattr(fg, n)] == []
    methods = ["pow", "unsqueeze", "squeeze", "clamp", "clip", "mm", "matmul", "t", "clone",
               "type", "float", "double", "long", "int", "bool", "std", "var", "min", "max",
               "argmax", "argmin", "eq", "ne", "lt", "gt", "le", "ge", "view", "view_as",
               "flatten", "expand", "repeat", "sum", "mean", "prod", "norm", "tolist", "numel",
               "size", "dim", "cpu", "to", "item", "detach", "contiguous", "masked_fill", "where",
               "sin", "cos", "log1p", "exp", "sqrt", "abs", "log"]
    assert [m for m in methods if hasattr(torch.Tensor, m) and not hasattr(fg.Tensor, m)] == []
    # usable as dtype= and comparable with t.dtype
    assert fg.tensor([1, 2]).dtype == fg.long and fg.ones(1).dtype == fg.float
