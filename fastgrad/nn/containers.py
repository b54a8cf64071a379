"""ModuleList and ModuleDict: sub-modules held in a list or a dict, registered under their
index or key so that parameters(), state_dict() and .to() see them (PyTorch's containers);
ParameterList and ParameterDict, the same for parameters. They have no forward of their own;
the module that holds them decides how to use them.
"""
import operator

import numpy as np

from .module import Module
from .parameter import Parameter
from ..tensor import Tensor


def _check_module(module, owner, where):
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {where} is a {type(module).__name__}, not a Module")
    return module


class ModuleList(Module):
    """A list of modules, registered as "0", "1", ... (PyTorch's ModuleList)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx):
        idx = operator.index(idx)
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"ModuleList index {idx} is out of range for length {n}")
        return idx % n

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(self._index(idx))]

    def __setitem__(self, idx, module):
        setattr(self, str(self._index(idx)), _check_module(module, "ModuleList", "the value"))

    def __delitem__(self, idx):
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[self._index(idx)]
        for key in list(self._modules):
            delattr(self, key)
        for i, m in enumerate(modules):  # renumbered, as PyTorch keeps keys 0..n-1
            self.add_module(str(i), m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __contains__(self, module):
        return any(m is module for m in self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        """Adds one module at the end; returns self."""
        self.add_module(str(len(self)), _check_module(module, "ModuleList.append", "argument"))
        return self

    def extend(self, modules):
        """Adds every module of an iterable at the end; returns self."""
        for i, m in enumerate(modules):
            self.append(_check_module(m, "ModuleList", f"element {i}"))
        return self

    def insert(self, index, module):
        """Inserts a module before position index."""
        modules = list(self._modules.values())
        modules.insert(index, _check_module(module, "ModuleList.insert", "argument"))
        for key in list(self._modules):
            delattr(self, key)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def pop(self, index=-1):
        """Removes and returns the module at index."""
        module = self[index]
        del self[index]
        return module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it and call the "
                                  "modules in your own forward()")


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys (PyTorch's ModuleDict)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(key).__name__}")
        self.add_module(key, _check_module(module, "ModuleDict", f"the value for {key!r}"))

    def __delitem__(self, key):
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self):
        """(key, module) pairs, in insertion order."""
        return self._modules.items()

    def clear(self):
        """Removes every module."""
        for key in list(self._modules):
            delattr(self, key)

    def pop(self, key):
        """Removes and returns the module under key."""
        module = self._modules[key]
        del self[key]
        return module

    def update(self, modules):
        """Adds (key, module) pairs from a mapping or an iterable of pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for pair in pairs:
            key, module = pair
            self[key] = module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(); look modules up by key in "
                                  "your own forward()")


def _as_parameter(value, owner):
    """A Parameter as is; a Tensor or NumPy array wrapped in one (as PyTorch wraps a Tensor)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, (Tensor, np.ndarray)):
        return Parameter(value)
    raise TypeError(f"{owner}: expected a Parameter or a Tensor, got {type(value).__name__}")


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ... (PyTorch's ParameterList); a
    Tensor put in it becomes a Parameter."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _index(self, idx):
        idx = operator.index(idx)
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"ParameterList index {idx} is out of range for length {n}")
        return idx % n

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self)[idx])
        return self._parameters[str(self._index(idx))]

    def __setitem__(self, idx, value):
        setattr(self, str(self._index(idx)), _as_parameter(value, "ParameterList"))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        """Adds one parameter at the end; returns self."""
        setattr(self, str(len(self)), _as_parameter(value, "ParameterList.append"))
        return self

    def extend(self, values):
        """Adds every parameter of an iterable at the end; returns self."""
        if isinstance(values, (Tensor, np.ndarray)) or not hasattr(values, "__iter__"):
            raise TypeError(f"ParameterList.extend: expected an iterable of parameters, got "
                            f"{type(values).__name__}")
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        return "\n".join(f"({i}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for i, p in enumerate(self))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward(); use its parameters in your "
                                  "own forward()")


class ParameterDict(Module):
    """An ordered dict of parameters, registered under their keys (PyTorch's ParameterDict);
    a Tensor put in it becomes a Parameter."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        if "." in key or key == "":
            raise KeyError(f"ParameterDict: key {key!r} must be non-empty and without '.' "
                           "(state-dict names are dotted paths)")
        setattr(self, key, _as_parameter(value, f"ParameterDict[{key!r}]"))

    def __delitem__(self, key):
        if key not in self._parameters:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        """The keys, in insertion order."""
        return self._parameters.keys()

    def values(self):
        """The parameters, in insertion order."""
        return self._parameters.values()

    def items(self):
        """(key, parameter) pairs, in insertion order."""
        return self._parameters.items()

    def get(self, key, default=None):
        """The parameter under key, or default."""
        return self._parameters.get(key, default)

    def pop(self, key):
        """Removes and returns the parameter under key."""
        value = self[key]
        del self[key]
        return value

    def clear(self):
        """Removes every parameter."""
        for key in list(self._parameters):
            delattr(self, key)

    def update(self, parameters):
        """Adds (key, parameter) pairs from a mapping or an iterable of pairs."""
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def extra_repr(self):
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for k, p in self.items())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict has no forward(); look parameters up by key "
                                  "in your own forward()")


__all__ = ["ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
