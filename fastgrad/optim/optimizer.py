"""Optimizer: the base class of every fastgrad optimizer, shaped like torch.optim.Optimizer.

An optimizer holds `param_groups` (a list of dicts: "params" plus the hyper-parameters of that
group) and `state` (parameter -> dict of buffers such as momentum). A parameter is a fastgrad
Tensor: the optimizer updates its values array (`_data`, float32/float64) in place from its
gradient array (`_grad`), and skips parameters whose gradient is None. Each update counts as an
in-place change of the parameter, so a graph that saved it refuses a later backward().

`state_dict()` has PyTorch's layout: {"state": {index: {...}}, "param_groups": [{..., "params":
[indices]}]}, indices numbering the parameters in group order. Buffers are NumPy arrays shared
with the live state (as PyTorch's are): deep-copy the dict to keep a snapshot.
"""
import math
import numbers
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

import numpy as np

from .._engine import modified, modified_all, optimizer_step, optimizer_zero_grad

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class _RequiredParameter:
    """Marks a hyper-parameter that has no default (like torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _is_parameter(obj):
    # A fastgrad Tensor/Parameter carries its values in a NumPy `_data`.
    return not isinstance(obj, np.ndarray) and isinstance(getattr(obj, "_data", None), np.ndarray)


def to_python(value):
    """0-d arrays and NumPy scalars -> Python numbers, recursively through lists/tuples/dicts.

    Hyper-parameters and step counts come back from `fastgrad.load` as 0-d arrays; the update
    rules and schedulers expect plain numbers.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(to_python(v) for v in value)
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    return value


class Optimizer:
    """Base class: subclasses implement `_update(param, grad, state, group)` for one parameter,
    or `_step_group(group)` for all of a group's parameters at once (torch.optim.Optimizer)."""

    _state_buffers = ()  # what a parameter's state must hold once it has any (load_state_dict)

    def __init__(self, params, defaults) -> None:
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        if _is_parameter(params) or isinstance(params, np.ndarray):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Parameters or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])

    # ---- parameter groups -------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add {"params": ..., <hyper-parameter overrides>}; missing keys take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if _is_parameter(params):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of a set changes between runs; use a list")
        params = list(params)
        for p in params:
            if not _is_parameter(p):
                raise TypeError("optimizer can only optimize Parameters (objects with a NumPy "
                                f"`.data`), but one of the params is {type(p).__name__}")
            if p._data.dtype not in _FLOAT_DTYPES:
                raise TypeError(f"optimizer can only optimize float32/float64 parameters, "
                                f"got dtype {p._data.dtype}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter more than once")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        """Raise ValueError for an invalid hyper-parameter in `group` (subclasses override)."""
        if group["lr"] is not required:
            check_hyperparameter(group, "lr")

    # ---- the update -------------------------------------------------------------------------
    if TYPE_CHECKING:  # compiled (_engine.optimizer_zero_grad/optimizer_step): every step
        def zero_grad(self, set_to_none: bool = True) -> None:
            """Reset every parameter's gradient: to None (the default) or to zeros in place."""

        def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
            """One update of every parameter that has a gradient; returns closure()'s loss if
            given."""
    else:
        zero_grad = optimizer_zero_grad
        step = optimizer_step

    def _step_group(self, group):
        """Update the group's parameters that have a gradient, one `_update` each. Optimizers
        with a kernel over a list of parameters override this to make one call per group."""
        state = self.state
        for p in group["params"]:
            if p._grad is not None:
                self._update(p, _checked_grad(p), state[p], group)
                modified(p)

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    # ---- checkpoints ------------------------------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        """{"state": {index: {name: array/number}}, "param_groups": [{..., "params": [index]}]}"""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def _state_shape(self, param_shape, name):
        """The shape of state buffer `name` of a parameter of param_shape: the parameter's own,
        unless an optimizer keeps a buffer of another shape (Adafactor's factors)."""
        return param_shape

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()` (ours, PyTorch's, or one read back by `fastgrad.load`).

        Group counts and sizes and the shapes of the buffers must match this optimizer's, else
        ValueError naming the mismatch. Buffers are copied (in the parameter's dtype), so the
        dict passed in is never aliased by the live state.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups'")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        id_map = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            saved_ids = [int(to_python(k)) for k in saved["params"]]
            if len(saved_ids) != len(group["params"]):
                raise ValueError(f"parameter group {i}: loaded state dict has {len(saved_ids)} "
                                 f"parameters, the optimizer's group has {len(group['params'])}")
            id_map.update(zip(saved_ids, group["params"]))

        new_state = defaultdict(dict)
        for key, entries in state_dict["state"].items():
            index = int(to_python(key))
            if index not in id_map:
                raise ValueError(f"loaded state dict has state for parameter {index}, "
                                 "which no parameter group lists")
            param = id_map[index]
            new_state[param] = {
                name: _loaded_state_value(param, index, name, value,
                                          self._state_shape(param._data.shape, name))
                for name, value in entries.items()}
            missing = [name for name in self._state_buffers if name not in new_state[param]]
            if new_state[param] and missing:
                raise ValueError(f"loaded state of parameter {index} lacks {missing}; "
                                 f"{type(self).__name__} keeps {list(self._state_buffers)} "
                                 "for each parameter it has stepped")

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {k: to_python(v) for k, v in saved.items() if k != "params"}
            for name, default in self.defaults.items():
                new_group.setdefault(name, default)
            new_group["params"] = group["params"]
            self._check_hyperparameters(new_group)
            new_groups.append(new_group)
        self.param_groups = new_groups  # everything checked: nothing above changed the optimizer
        self.state = new_state


_DESCRIPTIONS = {"lr": "learning rate", "eps": "epsilon value"}  # PyTorch's wording


def check_hyperparameter(group: dict, name: str, low: float = 0.0) -> None:
    """Raise unless group[name] is a finite real number >= low: TypeError for what is not a
    number, ValueError (PyTorch's message, naming the argument) for NaN, infinities and values
    below `low`. NaN fails every comparison, so it must be refused explicitly."""
    value = group[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and value >= low):
        bound = "a finite number" + ("" if low == -math.inf else f" >= {low}")
        raise ValueError(f"Invalid {_DESCRIPTIONS.get(name, name + ' value')}: {value} "
                         f"({name} must be {bound})")


def check_betas(group: dict) -> None:
    """Raise unless group["betas"] is a pair of numbers in [0, 1) (Adam's)."""
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
            raise TypeError(f"betas[{i}] must be a number, got {type(beta).__name__} {beta!r}")
        if not 0.0 <= beta < 1.0:  # also False for NaN
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (betas[{i}] must "
                             "be in [0, 1))")


def check_state_shapes(param: np.ndarray, state: dict) -> None:
    """Raise ValueError when a buffer in `state` no longer has the parameter's shape (the
    parameter was replaced by one of another shape after the optimizer's first step)."""
    for name, value in state.items():
        if isinstance(value, np.ndarray) and value.shape != param.shape:
            raise ValueError(f"optimizer state {name!r} has shape {value.shape} but its "
                             f"parameter now has shape {param.shape}; a parameter that changes "
                             "shape needs a new optimizer (or its state cleared)")


def step_many(kernel, params, datas, grads, maximize, args):
    """kernel(datas, grads, *args), one binding call for a group (sgd_step_many,
    adam_step_many), with the gradients as they are set; when the binding refuses them, again
    with _checked_grads. Maximizing always takes the converted, negated copies."""
    if maximize:
        grads = _checked_grads(params, True)
    try:
        kernel(datas, grads, *args)
    except (TypeError, ValueError):
        kernel(datas, _checked_grads(params, maximize), *args)
    modified_all(params)


def _checked_grads(params, maximize):
    """`_checked_grad` of each parameter, negated when maximize.

    The optimizers with one binding call per group pass the gradients as they are set, and the
    binding checks them as it checks every array. When it refuses them, the optimizer calls
    again with these: a Tensor, another dtype or a strided gradient is converted (as it always
    was), a wrong shape raises here, and any other fault is reported by the second call. A
    refused call writes nothing."""
    grads = [_checked_grad(p) for p in params]
    return [np.negative(g) for g in grads] if maximize else grads


def _checked_grad(param):
    """The gradient as a C-contiguous array of the parameter's dtype (no copy if it is one)."""
    grad = param._grad
    if not isinstance(grad, np.ndarray):
        grad = np.asarray(grad)
    if grad.shape != param._data.shape:
        raise ValueError(f"gradient shape {grad.shape} does not match parameter shape "
                         f"{param._data.shape}")
    return np.ascontiguousarray(grad, dtype=param._data.dtype)


def _loaded_state_value(param, index, name, value, shape):
    if value is None:
        return None
    if name == "step":  # a plain number here; PyTorch's is a 0-d float tensor
        step = float(np.asarray(value))
        return int(step) if step.is_integer() else step
    if isinstance(value, (int, float, np.generic)):
        return to_python(value)
    array = np.asarray(value)
    if array.ndim == 0:
        return array.item()
    if array.shape != shape:
        raise ValueError(f"state of parameter {index}, {name!r}: shape {array.shape} does not "
                         f"match the expected shape {shape}")
    return np.array(array, dtype=param._data.dtype, order="C", copy=True)
