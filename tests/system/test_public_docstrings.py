"""Every public name has a docstring: the functions and classes a user reaches from fastgrad's
public modules, and the public methods and properties of those classes (a method inherits its
base's docstring, as help() shows it)."""
import importlib
import inspect

import pytest

PUBLIC_MODULES = [
    "fastgrad", "fastgrad.autograd", "fastgrad.nn", "fastgrad.nn.functional", "fastgrad.nn.init",
    "fastgrad.optim", "fastgrad.optim.lr_scheduler", "fastgrad.data", "fastgrad.datasets",
    # present once their subpackages exist; a missing one is skipped, not failed
    "fastgrad.utils.data", "fastgrad.nn.utils", "fastgrad.distributions", "fastgrad.viz",
    "fastgrad.sklearn", "fastgrad.distributed", "fastgrad.nn.parallel",
]


def _public_names(module):
    """What a module offers: the names in its __all__, else the public names it defines (not
    the helpers it imports for its own use)."""
    declared = getattr(module, "__all__", None)
    for name in declared if declared is not None else list(vars(module)):
        obj = getattr(module, name)
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isroutine(obj)):
            continue
        origin = getattr(obj, "__module__", "") or ""
        if origin.startswith("fastgrad") and (declared is not None or origin == module.__name__):
            yield f"{module.__name__}.{name}", obj


def _public_members(cls):
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isroutine(value) or isinstance(value, property):
            yield name


def undocumented():
    """The dotted names of public functions, classes, methods and properties with no docstring."""
    missing, seen = [], set()
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for qualname, obj in _public_names(module):
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if not (obj.__doc__ or "").strip():
                missing.append(qualname)
            if inspect.isclass(obj):
                for member in _public_members(obj):
                    if not (inspect.getdoc(getattr(obj, member, None)) or "").strip():
                        missing.append(f"{qualname}.{member}")
    return missing


def test_every_public_name_has_a_docstring():
    missing = undocumented()
    assert not missing, f"{len(missing)} public names lack a docstring:\n" + "\n".join(missing)


def test_the_check_sees_a_missing_docstring(monkeypatch):
    import fastgrad.nn as nn

    def undocumented_function():
        pass
    undocumented_function.__module__ = "fastgrad.nn"
    monkeypatch.setattr(nn, "undocumented_function", undocumented_function, raising=False)
    if hasattr(nn, "__all__"):
        monkeypatch.setattr(nn, "__all__", [*nn.__all__, "undocumented_function"])
    assert "fastgrad.nn.undocumented_function" in undocumented()
