"""Parameter: a leaf tensor that a Module owns and an optimizer updates."""
import numpy as np

from .. import _engine
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and registers itself on the Module it is set on.

    Its .data is always a C-contiguous float array: optimizers update it in place, and the
    C kernels read it without a copy.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float32)
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


_engine.register_parameter_type(Parameter)  # it overrides no slot: the engine reads them directly
