"""dtypes in PyTorch's names: fg.float32 (fg.float), fg.float64 (fg.double), fg.int64 (fg.long),
fg.int32 (fg.int), fg.bool.

Each alias is the NumPy scalar type itself, so `t.dtype == fg.float32` holds exactly as
`t.dtype == torch.float32` does, and every `dtype=` argument also takes NumPy dtypes and their
names. `resolve` is the one place a `dtype=` argument is checked.
"""
import numpy as np

float32 = np.float32
float64 = np.float64
int64 = np.int64
int32 = np.int32
int16 = np.int16
int8 = np.int8
uint8 = np.uint8
bool_ = np.bool_
float16 = np.float16  # named so PyTorch code can mention it; `resolve` refuses it (no kernels)

# What a tensor may hold: the dtypes above. Half precision and complex numbers are refused
# rather than computed in a precision the C kernels do not have.
SUPPORTED = tuple(np.dtype(t) for t in (float32, float64, int64, int32, int16, int8, uint8, bool_))
FLOATING = (np.dtype(float32), np.dtype(float64))


def resolve(dtype, where="dtype"):
    """The np.dtype that `dtype` names (an alias, a NumPy dtype or its name, or Python's
    float/int/bool as PyTorch takes them); None stays None. `where` names the argument in the
    TypeError raised for anything else."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where} must be a dtype such as fastgrad.float32 or fastgrad.long, "
                        f"got {dtype!r}") from None
    if dt not in SUPPORTED:
        names = ", ".join(str(d) for d in SUPPORTED)
        raise TypeError(f"{where}={dt} is not supported by fastgrad (supported: {names})")
    return dt


# ---- the default float dtype ---------------------------------------------------------------------
# What factories give when no dtype is named, what a Python float becomes in fg.tensor, and what
# an integer tensor combined with a Python float gives: float32 until set_default_dtype changes it.
_default_float = [np.dtype(float32)]


def set_default_dtype(d):
    """Sets the default float dtype (torch.set_default_dtype): fg.float32 or fg.float64 only.
    Factories (zeros, randn, linspace, ...), fg.tensor of Python floats and type promotion
    of integers with Python floats follow it."""
    dt = resolve(d, "set_default_dtype: d")
    if dt not in FLOATING:
        raise TypeError(f"set_default_dtype: only float32 and float64 can be the default dtype, "
                        f"got {dt}")
    _default_float[0] = dt
    _DEFAULT[2] = dt


def get_default_dtype():
    """The default float dtype, fg.float32 unless set_default_dtype changed it
    (torch.get_default_dtype)."""
    return _default_float[0].type


def is_floating_point(dtype):
    """Whether tensors of this dtype can carry gradients (float32 or float64)."""
    return np.dtype(dtype) in FLOATING


_TENSOR_TYPES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                 "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
                 "uint8": "ByteTensor", "bool": "BoolTensor"}
_FROM_TYPE_NAME = {v: k for k, v in _TENSOR_TYPES.items()}


def type_name(dtype):
    """PyTorch's legacy type string of a dtype, as Tensor.type() returns it: 'torch.FloatTensor'."""
    return "torch." + _TENSOR_TYPES[np.dtype(dtype).name]


def from_type_name(name):
    """The dtype behind a legacy type string ('torch.FloatTensor' or 'FloatTensor'), or None."""
    if not isinstance(name, str):
        return None
    short = name.rsplit(".", 1)[-1]
    return np.dtype(_FROM_TYPE_NAME[short]) if short in _FROM_TYPE_NAME else None


# ---- type promotion ------------------------------------------------------------------------------
# PyTorch's rule, which differs from NumPy's: the category (bool < integer < float) decides before
# the size (int64 with float32 gives float32, not float64), and operands come in three tiers:
# tensors with dimensions, 0-d tensors, and Python (or NumPy) scalars. A later tier changes the
# result only when its category is higher: a float32 tensor times 2.0 or np.float64(2) stays
# float32; an int64 tensor times 2.5 becomes float32 (the default float).
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_DEFAULT = {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: np.dtype(np.float32)}


def _highest(dtypes):
    top = max(_CATEGORY[d.kind] for d in dtypes)
    return np.result_type(*[d for d in dtypes if _CATEGORY[d.kind] == top])


def result_type(*operands):
    """The dtype PyTorch gives an op on these operands (Tensors, arrays, numbers; None is
    skipped)."""
    tiers = ([], [], [])
    for x in operands:
        if x is None:
            continue
        if isinstance(x, (bool, int, float, np.generic)):
            tiers[2].append(np.asarray(x).dtype)
            continue
        arr = x.numpy() if hasattr(x, "grad_fn") else np.asarray(x)
        tiers[0 if arr.ndim else 1].append(arr.dtype)
    result = None
    for tier, dtypes in enumerate(tiers):
        if not dtypes:
            continue
        dt = _highest(dtypes)
        if tier == 2:
            dt = _DEFAULT[_CATEGORY[dt.kind]]
        if result is None or _CATEGORY[dt.kind] > _CATEGORY[result.kind]:
            result = dt
    return result
