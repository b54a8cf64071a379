"""ModuleList and ModuleDict: sub-modules held in a list or a dict, registered under their
index or key so that parameters(), state_dict() and .to() see them (PyTorch's containers).
They have no forward of their own; the module that holds them decides how to call them.
"""
import operator

from .module import Module


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


__all__ = ["ModuleList", "ModuleDict"]
