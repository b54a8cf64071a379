"""Module: the base class of layers and models, and the bookkeeping of their parameters.

A module registers every Parameter, sub-Module and buffer assigned to it as an attribute, in
assignment order, so `parameters()`, `state_dict()` and `load_state_dict()` see the same
names PyTorch does ("0.weight", "2.running_mean", ...) and a PyTorch state dict loads
one-to-one into the same architecture.
"""
from collections import namedtuple
from typing import TYPE_CHECKING, Any, Dict, Iterator, Tuple, TypeVar

import numpy as np

from ..device import parse_to

from .._engine import module_call as _module_call
from ..tensor import Tensor
from .parameter import Parameter

_M = TypeVar("_M", bound="Module")
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models, as torch.nn.Module: set Parameters and Modules as
    attributes, define forward()."""
    # Counts changes to any module's attributes. Plans cached from module attributes (a
    # Sequential's fused runs) compare it with the count they were built at, one integer
    # compare per call, and rebuild when anything was assigned or deleted since.
    generation = 0

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        """The computation of this module; subclasses define it and are called as module(*args)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    if TYPE_CHECKING:  # compiled: _engine.module_call, self.forward(*args, **kwargs)
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
    else:
        __call__ = _module_call

    # ---- registration ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() in {type(self).__name__}.__init__ "
                                 "before assigning attributes")
        Module.generation += 1
        if name in self._buffers and (value is None or isinstance(value, (np.ndarray, Tensor))):
            self._buffers[name] = value  # reassigning a buffer keeps it a buffer (PyTorch)
            object.__setattr__(self, name, value)
            return
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        Module.generation += 1
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None) under `name`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter or None, "
                            f"got {type(param).__name__}")
        setattr(self, name, param)
        if param is None:
            self._parameters[name] = None

    def register_buffer(self, name, array, persistent=True):
        """A Tensor (or NumPy array) that is state but not a parameter (e.g. BatchNorm's
        running mean): in state_dict() unless persistent=False, converted by .to(dtype), never
        in parameters() (PyTorch's register_buffer)."""
        if array is not None and not isinstance(array, (np.ndarray, Tensor)):
            raise TypeError(f"register_buffer({name!r}): expected a Tensor, a NumPy array or "
                            f"None, got {type(array).__name__}")
        if isinstance(array, Parameter):
            raise TypeError(f"register_buffer({name!r}): a Parameter is not a buffer; assign "
                            "it as an attribute or use register_parameter")
        setattr(self, name, array)
        self._buffers[name] = array
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register the submodule `module` under `name`."""
        setattr(self, name, module)

    def apply(self, fn):
        """Calls fn(module) on every sub-module, children first, then on self; returns self
        (PyTorch's Module.apply, e.g. for weight initialisation)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- traversal ------------------------------------------------------------------------------
    def named_modules(self, prefix=""):
        """Yield (name, module) for this module and every submodule, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        """Yield this module and every submodule, depth first."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield (name, module) for the direct submodules."""
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        """Yield the direct submodules."""
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "",
                         recurse: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """Yield (dotted name, Parameter) for this module and (with recurse) its submodules."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter once, in named_parameters' order (torch.nn.Module.parameters).
        Tutorials call it at every step, so the list is kept until a module attribute
        changes anywhere (Module.generation)."""
        if not recurse:
            return iter([p for p in self._parameters.values() if p is not None])
        cached = self.__dict__.get("_parameters_cache")
        if cached is None or cached[0] != Module.generation:
            found = tuple(p for _, p in self.named_parameters())
            cached = (Module.generation, found)
            object.__setattr__(self, "_parameters_cache", cached)
        return iter(cached[1])

    def named_buffers(self, prefix="", recurse=True):
        """Yield (dotted name, buffer) for the registered buffers."""
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse=True):
        """Yield the registered buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- modes and gradients --------------------------------------------------------------------
    def train(self: _M, mode: bool = True) -> _M:
        """Set training mode (Dropout, BatchNorm) here and in submodules; returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self: _M) -> _M:
        """Set evaluation mode, the same as train(False); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter gradient: to None (set_to_none=True, the default) or to zeros."""
        for p in self.parameters():  # kept from call to call (see parameters)
            if set_to_none or p._grad is None:
                p._grad = None
            else:
                p._grad[...] = 0

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ---- dtype ----------------------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """to(dtype), to(device), to(device, dtype) (PyTorch's Module.to): converts every
        parameter, gradient and float buffer to dtype, in place; the device must be the CPU."""
        dtype, _ = parse_to(args, kwargs, "Module.to")
        if dtype is None:
            return self
        if dtype.type not in (np.float32, np.float64):
            raise TypeError(f"Module.to: dtype must be float32 or float64, not {dtype}")
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None and p._data.dtype != dtype:
                    p._data = p._data.astype(dtype)
                    if p._grad is not None:
                        p._grad = p._grad.astype(dtype)
            for name, b in list(m._buffers.items()):
                if isinstance(b, Tensor):
                    if b.dtype.kind == "f" and b.dtype != dtype:
                        b._data = b._data.astype(dtype)
                    continue
                if b is not None and b.dtype.kind == "f" and b.dtype != dtype:
                    m.register_buffer(name, b.astype(dtype), name not in m._non_persistent)
        return self

    def float(self):
        """Convert parameters and floating buffers to float32; returns self."""
        return self.to(np.float32)

    def double(self):
        """Convert parameters and floating buffers to float64; returns self."""
        return self.to(np.float64)

    # ---- state ----------------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> Dict[str, Any]:
        """Name -> NumPy array for every parameter and persistent buffer (shares memory)."""
        out = {}
        for mod_prefix, module in self.named_modules(prefix):
            dot = mod_prefix + "." if mod_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[dot + name] = p._data
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[dot + name] = b._data if isinstance(b, Tensor) else b
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copies values into the existing arrays (cast to their dtype); shapes must match.
        With strict (the default) missing or unexpected keys raise, naming them."""
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict expects a mapping, got {type(state_dict).__name__}")
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys: {missing}")
            if unexpected:
                parts.append(f"unexpected keys: {unexpected}")
            raise ValueError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts))
        values = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = _as_numpy(state_dict[key], key)
            if value.shape != target.shape:
                raise ValueError(f"load_state_dict: {key!r} has shape {value.shape} in the "
                                 f"state dict but {target.shape} in the model")
            if value.dtype.kind not in "biuf":  # object (None -> NaN), str, complex, dates
                raise ValueError(f"load_state_dict: {key!r} has dtype {value.dtype}, which "
                                f"cannot be loaded into a {target.dtype} tensor")
            # Converted now, so that nothing can fail once the writing starts.
            values[key] = value.astype(target.dtype, copy=False)
        for key, value in values.items():  # all checked before anything is written
            np.copyto(own[key], value)
        return IncompatibleKeys(missing, unexpected)

    # ---- printing -------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside this module's parentheses in repr(); subclasses override it."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _as_numpy(value, key):
    """State-dict values may be NumPy arrays, fastgrad tensors, numbers or (CPU) torch tensors."""
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor, without importing torch
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except Exception as exc:
        raise TypeError(f"load_state_dict: value for {key!r} is not array-like "
                        f"({type(value).__name__})") from exc
